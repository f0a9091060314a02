// sim::ParseScenario: the scenario YAML, the manifests in it, and the dry
// run that checks its references (docs/scenarios.md). Input: scenario text;
// `file:` references resolve against scenarios/ of the source tree, so the
// seeds taken from there load their manifests.
//
// Parsing has no round trip (there is no scenario writer); the target looks
// for crashes, sanitizer reports, hangs and leaks.
//
// Bounded work: the dry run boots every node of the cluster, up to a
// million per group, which takes seconds under the sanitizers and is not a
// hang. Inputs that spell a number above kMaxNumber (or hide digits behind
// escapes) are skipped, which keeps a cluster within a few hundred thousand
// nodes even when aliases repeat a count.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "sim/scenario.h"

namespace {

constexpr int64_t kMaxNumber = 2000;

bool BoundedWork(std::string_view text) {
  int64_t number = 0;
  for (char c : text) {
    if (c == '\\') return false;
    if (c >= '0' && c <= '9') {
      number = number * 10 + (c - '0');
      if (number > kMaxNumber) return false;
    } else {
      number = 0;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (!BoundedWork(text)) return 0;
  auto scenario = navarch::sim::ParseScenario(text, "fuzz.yaml", NAVARCH_SOURCE_DIR "/scenarios");
  if (scenario.ok()) (void)scenario->Horizon();
  return 0;
}
