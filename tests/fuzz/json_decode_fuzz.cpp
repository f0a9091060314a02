// api::DecodeJson, then validation and the codec round trip
// (codec_roundtrip.h). Input: a JSON document, one API object.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/codec.h"
#include "tests/fuzz/codec_roundtrip.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  api::DecodeOptions strict;
  strict.source = "fuzz.json";
  auto obj = api::DecodeJson(text, strict);
  if (obj.ok()) {
    fuzz::CheckRoundTrip(**obj);
    return 0;
  }
  // The lenient mode drops unknown fields and reports them as warnings.
  std::vector<std::string> warnings;
  api::DecodeOptions lenient;
  lenient.source = "fuzz.json";
  lenient.strict = false;
  lenient.warnings = &warnings;
  auto loose = api::DecodeJson(text, lenient);
  if (loose.ok()) fuzz::CheckRoundTrip(**loose);
  return 0;
}
