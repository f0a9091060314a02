// api::DecodeProtobufToJson: Kubernetes protobuf request bodies
// ("k8s\0" + runtime.Unknown; Namespace and Service). Input: the body.
//
// Invariants: a decoded body is JSON that serializes and parses back to
// the same value, and when it decodes as an API object (as the API server
// then does, strictly) the object survives the codec round trip
// (codec_roundtrip.h).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "core/api/codec.h"
#include "core/api/protobuf_codec.h"
#include "tests/fuzz/codec_roundtrip.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  namespace json = boost::json;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  (void)api::IsProtobufContentType(body);
  auto value = api::DecodeProtobufToJson(body);
  if (!value.ok()) return 0;

  const std::string text = json::serialize(*value);
  boost::system::error_code ec;
  json::value again = json::parse(text, ec);
  FUZZ_CHECK(!ec);
  FUZZ_CHECK(again == *value);

  api::DecodeOptions strict;
  strict.source = "fuzz.pb";
  auto obj = api::DecodeJsonValue(*value, strict);
  if (obj.ok()) fuzz::CheckRoundTrip(**obj);
  return 0;
}
