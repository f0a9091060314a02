// api::LabelSelector::Parse. Input: the selector text, then optionally a
// newline and label lines ("key=value", or "key" for an empty value) to
// match against.
//
// Invariants:
//   * ToString() is canonical: Parse(ToString()) gives an equal selector;
//   * FromRequirements(requirements()) gives an equal selector;
//   * Matches() (a merge walk over the sorted labels) agrees with checking
//     each requirement on its own, for the input's labels and for labels
//     built from the selector's own keys and values;
//   * EqualityRequirement() names a requirement that pins its key to one
//     value.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/api/labels.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

using navarch::api::Labels;
using navarch::api::LabelSelector;
using navarch::api::SelectorOp;

bool MatchesOneByOne(const LabelSelector& sel, const Labels& labels) {
  return std::all_of(sel.requirements().begin(), sel.requirements().end(), [&](const auto& r) {
    auto it = labels.find(r.key);
    return r.MatchesValue(it == labels.end() ? nullptr : &it->second);
  });
}

void CheckMatches(const LabelSelector& sel, const Labels& labels) {
  FUZZ_CHECK(sel.Matches(labels) == MatchesOneByOne(sel, labels));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::string_view text = input.substr(0, input.find('\n'));
  Labels labels;
  if (text.size() < input.size()) {
    std::string_view rest = input.substr(text.size() + 1);
    while (!rest.empty()) {
      std::string_view line = rest.substr(0, rest.find('\n'));
      rest.remove_prefix(std::min(rest.size(), line.size() + 1));
      size_t eq = line.find('=');
      labels[std::string(line.substr(0, eq))] =
          eq == std::string_view::npos ? "" : std::string(line.substr(eq + 1));
    }
  }

  auto sel = LabelSelector::Parse(text);
  if (!sel.ok()) return 0;

  const std::string canonical = sel->ToString();
  auto again = LabelSelector::Parse(canonical);
  FUZZ_CHECK_OK(again);
  FUZZ_CHECK_EQ(again->ToString(), canonical);
  FUZZ_CHECK(*again == *sel);

  auto rebuilt = LabelSelector::FromRequirements(sel->requirements());
  FUZZ_CHECK_OK(rebuilt);
  FUZZ_CHECK(*rebuilt == *sel);

  CheckMatches(*sel, labels);
  CheckMatches(*sel, Labels{});
  Labels own;
  for (const auto& r : sel->requirements()) {
    own[r.key] = r.values.empty() ? std::string() : r.values.back();
  }
  CheckMatches(*sel, own);

  if (auto eq = sel->EqualityRequirement()) {
    bool found = false;
    for (const auto& r : sel->requirements()) {
      bool pins = r.op == SelectorOp::kEquals || (r.op == SelectorOp::kIn && r.values.size() == 1);
      if (pins && r.key == eq->first && r.values[0] == eq->second) found = true;
    }
    FUZZ_CHECK(found);
  }
  return 0;
}
