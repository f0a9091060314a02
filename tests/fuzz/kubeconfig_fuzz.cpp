// apiclient::ParseKubeconfig, with the file's current-context and with a
// context named "fuzz". Input: kubeconfig text; `certificate-authority` and
// `tokenFile` paths resolve against tests/fuzz/data/ (ca.crt, token).
//
// Invariant: what the API server writes for a client (apiserver::
// RenderKubeconfig) reads back as the same server, CA and token.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/apiclient/kubeconfig.h"
#include "core/apiserver/kubeconfig_writer.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

void CheckRewrite(const navarch::apiclient::ClientConfig& config) {
  using namespace navarch;
  apiserver::KubeconfigContents contents;
  contents.server = config.server;
  contents.ca_pem = config.ca_pem;
  contents.token = config.bearer_token;
  const std::string text = apiserver::RenderKubeconfig(contents);
  auto again = apiclient::ParseKubeconfig(text, "rendered", "/nonexistent");
  FUZZ_CHECK_OK(again);
  FUZZ_CHECK_EQ(again->server, config.server);
  FUZZ_CHECK_EQ(again->ca_pem, config.ca_pem);
  FUZZ_CHECK_EQ(again->bearer_token, config.bearer_token);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace navarch;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string base_dir = NAVARCH_SOURCE_DIR "/tests/fuzz/data";
  for (std::string_view context : {std::string_view(), std::string_view("fuzz")}) {
    auto config = apiclient::ParseKubeconfig(text, "fuzz-kubeconfig", base_dir, context);
    if (config.ok()) CheckRewrite(*config);
  }
  return 0;
}
