#pragma once
// Writes a kubeconfig for the API server's user: one cluster (server URL and,
// for HTTPS, the CA as certificate-authority-data), one user with a bearer
// token, one context "navarch" (namespace default) made current. kubectl
// and core/apiclient read it.

#include <string>

#include "core/base/status.h"

namespace navarch::apiserver {

struct KubeconfigContents {
  std::string server;  // "https://127.0.0.1:6443"
  std::string ca_pem;  // empty for plain HTTP
  std::string user = "admin";
  std::string token;  // empty = no credentials
};

std::string RenderKubeconfig(const KubeconfigContents& c);
// Writes atomically with mode 0600. kUnavailable naming the path on failure.
Status WriteKubeconfig(const std::string& path, const KubeconfigContents& c);

}  // namespace navarch::apiserver
