// api::DecodeYaml (multi-document), then validation with FormatErrors and
// the codec round trip of every document (codec_roundtrip.h). Input: YAML
// text, one or more `---`-separated API objects.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/api/codec.h"
#include "core/api/validation.h"
#include "tests/fuzz/codec_roundtrip.h"

namespace {

void CheckDocuments(const std::vector<navarch::api::Document>& docs) {
  using namespace navarch;
  for (const api::Document& doc : docs) {
    FUZZ_CHECK(doc.object != nullptr);
    auto errors = api::Validate(*doc.object);
    (void)api::FormatErrors(errors, doc, "fuzz.yaml");
    fuzz::CheckRoundTrip(*doc.object);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  api::DecodeOptions strict;
  strict.source = "fuzz.yaml";
  auto docs = api::DecodeYaml(text, strict);
  if (docs.ok()) {
    CheckDocuments(*docs);
    return 0;
  }
  std::vector<std::string> warnings;
  api::DecodeOptions lenient;
  lenient.source = "fuzz.yaml";
  lenient.strict = false;
  lenient.warnings = &warnings;
  auto loose = api::DecodeYaml(text, lenient);
  if (loose.ok()) CheckDocuments(*loose);
  return 0;
}
