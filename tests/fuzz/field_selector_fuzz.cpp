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

  // A pod and an event whose fields equal the last value given for each.
  api::Pod pod;
  api::Node node;
  api::Event event;
  bool event_fields = false;  // a term only events have
  bool pod_fields = false;    // a term only pods have
  for (const auto& t : sel->terms()) {
    auto& io = event.involved_object;
    switch (t.field) {
      case Field::kName:
        pod.metadata.name = node.metadata.name = event.metadata.name = t.value;
        break;
      case Field::kNamespace:
        pod.metadata.namespace_ = event.metadata.namespace_ = t.value;
        break;
      case Field::kNodeName:
        pod.spec.Mutable().node_name = t.value;
        pod_fields = true;
        break;
      case Field::kPhase:
        pod.status.phase = t.value;
        pod_fields = true;
        break;
      case Field::kInvolvedKind:
        io.kind = t.value;
        break;
      case Field::kInvolvedNamespace:
        io.namespace_ = t.value;
        break;
      case Field::kInvolvedName:
        io.name = t.value;
        break;
      case Field::kInvolvedUid:
        io.uid = t.value;
        break;
      case Field::kInvolvedApiVersion:
        io.api_version = t.value;
        break;
      case Field::kInvolvedResourceVersion:
        io.resource_version = t.value;
        break;
      case Field::kInvolvedFieldPath:
        io.field_path = t.value;
        break;
      case Field::kReason:
        event.reason = t.value;
        break;
      case Field::kType:
        event.type = t.value;
        break;
      case Field::kSource:
        event.source.component = t.value;
        break;
      case Field::kReportingComponent:
        event.reporting_component = t.value;
        break;
    }
    if (t.field != Field::kName && t.field != Field::kNamespace && t.field != Field::kNodeName &&
        t.field != Field::kPhase) {
      event_fields = true;
    }
  }
  const bool pod_matches = sel->Matches(pod);
  const bool event_matches = sel->Matches(event);
  (void)sel->Matches(node);
  // Without negated terms, an object carrying every value matches unless
  // two terms pin one field to different values (or the selector names a
  // field of another kind, which reads as "").
  bool plain = true;
  for (const auto& t : sel->terms()) {
    for (const auto& u : sel->terms()) {
      if (t.negate || (t.field == u.field && t.value != u.value)) plain = false;
    }
  }
  if (plain && !event_fields) FUZZ_CHECK(pod_matches);
  if (plain && !pod_fields) FUZZ_CHECK(event_matches);

  FUZZ_CHECK(sel->CheckKind(api::Kind::kPod).ok() == !event_fields);
  FUZZ_CHECK(sel->CheckKind(api::Kind::kEvent).ok() == !pod_fields);
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
