#pragma once
// Helpers for the whole-cluster tests with the real kubectl: child processes
// of the navarch binary (output captured to files), free ports, temporary
// directories, running kubectl with --kubeconfig and a private --cache-dir,
// and polling with a generous deadline. Header-only, test code only.
//
// kubectl is /usr/bin/kubectl (or $KUBECTL). NAVARCH_REQUIRE_KUBECTL() fails
// the test under CI=true when it is missing and skips it loudly otherwise.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace navarch::testing {

inline std::string NavarchBinary() {
  return std::string(NAVARCH_BINARY_DIR) + "/cmd/navarch/navarch";
}

inline std::string KubectlPath() {
  const char* env = std::getenv("KUBECTL");
  return env && *env ? env : "/usr/bin/kubectl";
}

inline bool InCi() {
  const char* ci = std::getenv("CI");
  return ci && std::string(ci) == "true";
}

// Fails under CI=true, skips (loudly) elsewhere, when kubectl is missing.
#define NAVARCH_REQUIRE_KUBECTL()                                                               \
  do {                                                                                          \
    if (access(::navarch::testing::KubectlPath().c_str(), X_OK) != 0) {                         \
      if (::navarch::testing::InCi()) {                                                         \
        FAIL() << "kubectl not found at " << ::navarch::testing::KubectlPath()                  \
               << " and CI=true: install kubectl 1.32 (or set KUBECTL)";                        \
      }                                                                                         \
      GTEST_SKIP() << "*** SKIPPED: kubectl not found at " << ::navarch::testing::KubectlPath() \
                   << " (set KUBECTL=/path/to/kubectl to run these tests) ***";                 \
    }                                                                                           \
  } while (0)

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  explicit TempDir(const std::string& prefix = "navarch-it") {
    std::string tmpl = (std::filesystem::temp_directory_path() / (prefix + "-XXXXXX")).string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!mkdtemp(buf.data())) throw std::runtime_error("mkdtemp failed");
    path_ = buf.data();
  }
  ~TempDir() {
    if (!std::getenv("NAVARCH_KEEP_TEST_DIRS")) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// A TCP port on 127.0.0.1 that was free a moment ago.
inline int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);
  close(fd);
  return port;
}

inline std::string ReadFileText(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A child process; stdout and stderr go to `log_prefix`.out / .err.
class Process {
 public:
  Process(std::vector<std::string> argv, std::string log_prefix)
      : argv_(std::move(argv)), log_prefix_(std::move(log_prefix)) {
    pid_ = fork();
    if (pid_ == 0) {
      setpgid(0, 0);
      int out = open((log_prefix_ + ".out").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      int err = open((log_prefix_ + ".err").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(out, 1);
      dup2(err, 2);
      int devnull = open("/dev/null", O_RDONLY);
      dup2(devnull, 0);
      std::vector<char*> args;
      for (auto& a : argv_)
        args.push_back(a.data());
      args.push_back(nullptr);
      execv(args[0], args.data());
      _exit(127);
    }
  }
  ~Process() {
    if (Running()) {
      Signal(SIGKILL);
      Wait();
    }
  }
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool Running() {
    if (exited_) return false;
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exited_ = true;
      status_ = status;
      return false;
    }
    return true;
  }
  void Signal(int sig) {
    if (!exited_) kill(pid_, sig);
  }
  // Waits for the exit; returns the exit code (128+signal when killed).
  int Wait(std::chrono::seconds timeout = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (Running()) {
      if (std::chrono::steady_clock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status_, 0);
        exited_ = true;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (WIFEXITED(status_)) return WEXITSTATUS(status_);
    if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
    return -1;
  }
  std::string Stdout() const { return ReadFileText(log_prefix_ + ".out"); }
  std::string Stderr() const { return ReadFileText(log_prefix_ + ".err"); }

 private:
  std::vector<std::string> argv_;
  std::string log_prefix_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int status_ = 0;
};

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs a command to completion (stdin from `input`, when given).
inline CommandResult RunCommand(const std::vector<std::string>& argv, const std::string& workdir,
                                const std::string& input = {}) {
  static int counter = 0;
  const std::string base =
      workdir + "/cmd-" + std::to_string(getpid()) + "-" + std::to_string(counter++);
  std::string in_path;
  if (!input.empty()) {
    in_path = base + ".in";
    std::ofstream(in_path) << input;
  }
  pid_t pid = fork();
  if (pid == 0) {
    int out = open((base + ".out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open((base + ".err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    int in = open(in_path.empty() ? "/dev/null" : in_path.c_str(), O_RDONLY);
    dup2(in, 0);
    std::vector<std::string> copy = argv;
    std::vector<char*> args;
    for (auto& a : copy)
      args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = ReadFileText(base + ".out");
  r.err = ReadFileText(base + ".err");
  std::error_code ec;
  std::filesystem::remove(base + ".out", ec);
  std::filesystem::remove(base + ".err", ec);
  if (!in_path.empty()) std::filesystem::remove(in_path, ec);
  return r;
}

// kubectl with a kubeconfig and a private discovery cache.
class Kubectl {
 public:
  Kubectl(std::string kubeconfig, std::string workdir)
      : kubeconfig_(std::move(kubeconfig)), workdir_(std::move(workdir)) {}
  CommandResult operator()(std::vector<std::string> args, const std::string& input = {}) const {
    std::vector<std::string> argv = {KubectlPath(), "--kubeconfig",           kubeconfig_,
                                     "--cache-dir", workdir_ + "/kube-cache", "--request-timeout",
                                     "20s"};
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv, workdir_, input);
  }

 private:
  std::string kubeconfig_;
  std::string workdir_;
};

// Polls `fn` every 200 ms until it returns true or `timeout` passes.
inline bool Eventually(const std::function<bool()>& fn,
                       std::chrono::seconds timeout = std::chrono::seconds(30)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (fn()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return fn();
}

// Splits on whitespace.
inline std::vector<std::string> Words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w)
    out.push_back(w);
  return out;
}

}  // namespace navarch::testing
