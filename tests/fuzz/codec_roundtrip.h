#pragma once
// The round trip every decoded API object must survive, shared by the
// decoder targets (JSON, YAML, protobuf):
//
//   json1 = EncodeJson(obj)
//   DecodeJson(json1) succeeds (strictly) and encodes to json1 again;
//   DecodeYaml(EncodeYaml(obj)) gives one document that encodes to json1.
//
// The first encoding is the reference rather than `obj` itself: metav1.Time
// fields are written with second precision (core/api/codec.h), so `obj` may
// hold sub-second parts that no encoding carries.

#include <string>

#include "core/api/codec.h"
#include "core/api/validation.h"
#include "tests/fuzz/fuzz_check.h"

namespace navarch::fuzz {

inline void CheckRoundTrip(const api::Object& obj) {
  // Validation must not crash whatever the object holds; its verdict is not
  // an invariant.
  (void)api::Validate(obj);

  const std::string json1 = api::EncodeJson(obj);
  auto from_json = api::DecodeJson(json1);
  FUZZ_CHECK_OK(from_json);
  FUZZ_CHECK_EQ(api::EncodeJson(**from_json), json1);

  const std::string yaml = api::EncodeYaml(obj);
  auto from_yaml = api::DecodeYaml(yaml);
  FUZZ_CHECK_OK(from_yaml);
  FUZZ_CHECK(from_yaml->size() == 1);
  FUZZ_CHECK_EQ(api::EncodeJson(*(*from_yaml)[0].object), json1);
}

}  // namespace navarch::fuzz
