#pragma once
// Runs the real navarch binary the way a user would, for the CLI tests.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace navarch::testing {

struct Run {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// `navarch ARGS` through the shell; ARGS is pasted as is.
inline Run Navarch(const std::string& args) {
  std::string cmd = std::string(NAVARCH_BINARY_DIR) + "/cmd/navarch/navarch " + args + " 2>&1";
  Run r;
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0)
    r.output.append(buf.data(), n);
  int status = pclose(p);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

}  // namespace navarch::testing
