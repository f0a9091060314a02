#include "sim/bench.h"

#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "sim/runner.h"
#include "sim/synthetic.h"

namespace navarch::sim {

namespace {

constexpr std::string_view kHugeTlbTunable = "glibc.malloc.hugetlb";

// What the child sends back through its pipe: a fixed-size record (the
// parent and child are the same binary), then on failure the message.
struct ChildRecord {
  double wall_seconds = 0;
  uint64_t events = 0;
  double sim_seconds = 0;
  int64_t pods_created = 0, pods_running = 0, batch_succeeded = 0;
  int32_t passed = 0;
  int32_t ok = 0;
  char stop[32] = {};
};

bool WriteAll(int fd, const void* data, size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = write(fd, p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

// The child: runs the benchmark, writes its record (and an error message),
// and exits without freeing the world. Never returns.
[[noreturn]] void RunChild(int fd, const BenchSize& size, const BenchOptions& options) {
  ChildRecord rec;
  std::string error;
  SyntheticSpec spec;
  spec.name = "bench-" + size.Name();
  spec.seed = options.seed;
  spec.nodes = size.nodes;
  spec.service_pods = size.pods / 2;
  spec.batch_pods = size.pods - size.pods / 2;
  auto scenario = SyntheticScenario(spec);
  if (!scenario.ok()) {
    error = scenario.status().message();
  } else {
    scenario->api.record_events = options.record_events;
    if (!options.control_plane_cost) {
      scenario->control_plane.client_limits = false;
      scenario->control_plane.request_latency_on = false;
      scenario->control_plane.scheduling_cost = false;
    }
    RunnerOptions ro;
    ro.record_decisions = options.explain;
    ro.sample_interval = seconds(10);
    ro.defer_teardown = true;
    const auto t0 = std::chrono::steady_clock::now();
    // Deliberately never destroyed: see "The child exits" in bench.h.
    auto* runner = new Runner(std::move(*scenario), ro);
    auto report = runner->Run();
    const auto t1 = std::chrono::steady_clock::now();
    if (!report.ok()) {
      error = report.status().message();
    } else {
      rec.ok = 1;
      rec.wall_seconds = std::chrono::duration<double>(t1 - t0).count();
      rec.events = report->events_processed;
      rec.sim_seconds = static_cast<double>(report->ended_at.count()) / 1e9;
      rec.pods_created = report->pods_created;
      rec.pods_running = report->pods_running;
      rec.batch_succeeded = report->pods_succeeded_total;
      rec.passed = report->Passed() ? 1 : 0;
      std::snprintf(rec.stop, sizeof rec.stop, "%s", report->stop_reason.c_str());
    }
  }
  bool sent = WriteAll(fd, &rec, sizeof rec) && WriteAll(fd, error.data(), error.size());
  close(fd);
  _exit(sent ? 0 : 1);
}

}  // namespace

std::string BenchSize::Name() const {
  return std::to_string(nodes) + "x" + std::to_string(pods);
}

Result<std::vector<BenchSize>> ParseBenchSizes(std::string_view list) {
  std::vector<BenchSize> out;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    if (comma == std::string_view::npos) comma = list.size();
    std::string_view item = list.substr(start, comma - start);
    start = comma + 1;
    BenchSize size;
    const size_t x = item.find('x');
    bool ok = x != std::string_view::npos;
    if (ok) {
      const char* b = item.data();
      const char* e = item.data() + item.size();
      auto [p1, ec1] = std::from_chars(b, b + x, size.nodes);
      auto [p2, ec2] = std::from_chars(b + x + 1, e, size.pods);
      ok = ec1 == std::errc() && p1 == b + x && ec2 == std::errc() && p2 == e && size.nodes > 0 &&
           size.pods >= 0;
    }
    if (!ok) {
      return InvalidArgument("benchmark \"" + std::string(item) +
                             "\" is not NODESxPODS with NODES > 0 (e.g. 5000x100000)");
    }
    out.push_back(size);
  }
  return out;
}

Result<BenchResult> RunBenchmark(const BenchSize& size, const BenchOptions& options) {
  int fds[2];
  if (pipe(fds) != 0) {
    return Internal("benchmark " + size.Name() + ": pipe: " + std::strerror(errno));
  }
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    return Internal("benchmark " + size.Name() + ": fork: " + std::strerror(errno));
  }
  if (pid == 0) {
    close(fds[0]);
    RunChild(fds[1], size, options);
  }
  close(fds[1]);
  const std::string data = ReadAll(fds[0]);
  close(fds[0]);
  int status = 0;
  struct rusage usage {};
  while (wait4(pid, &status, 0, &usage) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || data.size() < sizeof(ChildRecord)) {
    std::string how = WIFSIGNALED(status)
                          ? "was killed by signal " + std::to_string(WTERMSIG(status))
                          : "exited with status " + std::to_string(WEXITSTATUS(status));
    return Internal("benchmark " + size.Name() + ": the child process " + how +
                    " without a result");
  }
  ChildRecord rec;
  std::memcpy(&rec, data.data(), sizeof rec);
  if (!rec.ok) {
    return InvalidArgument("benchmark " + size.Name() + ": " + data.substr(sizeof rec));
  }
  BenchResult r;
  r.size = size;
  r.wall_seconds = rec.wall_seconds;
  r.cpu_seconds = static_cast<double>(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) +
                  static_cast<double>(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
  r.peak_rss_bytes = static_cast<int64_t>(usage.ru_maxrss) * 1024;  // ru_maxrss is in KiB
  r.events = rec.events;
  r.sim_seconds = rec.sim_seconds;
  r.pods_created = rec.pods_created;
  r.pods_running = rec.pods_running;
  r.batch_succeeded = rec.batch_succeeded;
  r.passed = rec.passed != 0;
  r.stop_reason = std::string(rec.stop, strnlen(rec.stop, sizeof rec.stop));
  return r;
}

namespace {

// gperftools' tcmalloc exports tc_version(); glibc does not.
using TcVersionFn = const char* (*)(int*, int*, const char**);
TcVersionFn TcVersion() {
  return reinterpret_cast<TcVersionFn>(dlsym(RTLD_DEFAULT, "tc_version"));
}

}  // namespace

bool TcmallocHeap() {
  return TcVersion() != nullptr;
}

std::string HeapDescription() {
  if (auto version = TcVersion()) {
    int major = 0, minor = 0;
    const char* patch = nullptr;
    const char* text = version(&major, &minor, &patch);
    return std::string("tcmalloc (") + (text ? text : "gperftools") + ")";
  }
  return HugePageHeap() ? "glibc malloc, transparent huge pages (glibc.malloc.hugetlb=1)"
                        : "glibc malloc";
}

bool HugePageHeap() {
  if (TcmallocHeap()) return false;
  const char* t = std::getenv("GLIBC_TUNABLES");
  if (t == nullptr) return false;
  const std::string_view all(t);
  const size_t at = all.find(kHugeTlbTunable);
  if (at == std::string_view::npos) return false;
  // "glibc.malloc.hugetlb=N": 0 is off, 1 (madvise) and 2 (hugetlbfs) are on.
  const std::string_view rest = all.substr(at + kHugeTlbTunable.size());
  return rest.size() >= 2 && rest[0] == '=' && rest[1] != '0';
}

void ReexecWithHugePageHeap(const std::vector<std::string>& argv) {
  const char* old = std::getenv("GLIBC_TUNABLES");
  if (argv.empty() || TcmallocHeap() ||
      (old != nullptr && std::string_view(old).find(kHugeTlbTunable) != std::string_view::npos)) {
    return;  // already decided, by us or by the user
  }
  std::string tunables = std::string(kHugeTlbTunable) + "=1";
  if (old != nullptr && *old != '\0') tunables = std::string(old) + ":" + tunables;
  if (setenv("GLIBC_TUNABLES", tunables.c_str(), 1) != 0) return;
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  execv("/proc/self/exe", args.data());
  // exec failed: carry on in this process with the allocator as it is.
  if (old != nullptr) {
    setenv("GLIBC_TUNABLES", old, 1);
  } else {
    unsetenv("GLIBC_TUNABLES");
  }
}

}  // namespace navarch::sim
