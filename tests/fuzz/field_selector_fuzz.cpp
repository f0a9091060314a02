// client::FieldSelector::Parse. Input: the selector text.
//
// Invariants: ToString() reads back (Parse(ToString()) gives an equal
// selector with the same text), and matching, CheckKind() and
// NodeNameEquals() hold no surprises for a pod and a node whose fields
// come from the selector's own values.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "core/api/types.h"
#include "core/client/field_selector.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  using Field = client::FieldSelector::Field;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  auto sel = client::FieldSelector::Parse(text);
  if (!sel.ok()) return 0;

  const std::string canonical = sel->ToString();
  auto again = client::FieldSelector::Parse(canonical);
  FUZZ_CHECK_OK(again);
  FUZZ_CHECK_EQ(again->ToString(), canonical);
  FUZZ_CHECK(*again == *sel);

  // A pod whose fields equal the last value given for each of them.
  api::Pod pod;
  api::Node node;
  for (const auto& t : sel->terms()) {
    switch (t.field) {
      case Field::kName:
        pod.metadata.name = node.metadata.name = t.value;
        break;
      case Field::kNamespace:
        pod.metadata.namespace_ = t.value;
        break;
      case Field::kNodeName:
        pod.spec.Mutable().node_name = t.value;
        break;
      case Field::kPhase:
        pod.status.phase = t.value;
        break;
    }
  }
  bool pod_matches = sel->Matches(pod);
  (void)sel->Matches(node);
  // Without negated terms, a pod carrying every value matches unless two
  // terms pin one field to different values.
  bool plain = true;
  for (const auto& t : sel->terms()) {
    for (const auto& u : sel->terms()) {
      if (t.negate || (t.field == u.field && t.value != u.value)) plain = false;
    }
  }
  if (plain) FUZZ_CHECK(pod_matches);

  FUZZ_CHECK(sel->CheckKind(api::Kind::kPod).ok());
  (void)sel->CheckKind(api::Kind::kNode);
  if (const std::string* node_name = sel->NodeNameEquals()) {
    bool found = false;
    for (const auto& t : sel->terms()) {
      if (t.field == Field::kNodeName && !t.negate && t.value == *node_name) found = true;
    }
    FUZZ_CHECK(found);
  }
  return 0;
}
