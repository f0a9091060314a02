#pragma once
// Kubeconfig files: where a client finds the API server and how it proves
// who it is.
//
// LoadKubeconfig reads the file's current-context (or the context named by
// the caller), follows it to its cluster and user entries and returns:
//
//   server                      clusters[].cluster.server ("https://host:port")
//   CA certificate (PEM)        clusters[].cluster.certificate-authority-data
//                               (base64) or certificate-authority (a file,
//                               relative paths resolved against the
//                               kubeconfig's directory)
//   insecure-skip-tls-verify    clusters[].cluster.insecure-skip-tls-verify
//   bearer token                users[].user.token or users[].user.tokenFile
//
// Client certificates (client-certificate[-data]), exec and auth-provider
// plugins and username/password are not supported: a user entry that has only
// those is an error that says so. Every error names the file and the field
// (kInvalidArgument; kNotFound when the file itself is missing).

#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch::apiclient {

struct ClientConfig {
  std::string server;  // "https://127.0.0.1:6443"
  std::string ca_pem;  // empty: trust the system's default CA paths
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;  // clusters[].cluster.tls-server-name, if set
  std::string bearer_token;     // empty: no Authorization header
  std::string source;           // the kubeconfig path, for messages
};

// `context` empty = the file's current-context.
Result<ClientConfig> LoadKubeconfig(const std::string& path, std::string_view context = {});

// Parses kubeconfig text; `source` names it in messages and relative file
// paths inside it are resolved against `base_dir`.
Result<ClientConfig> ParseKubeconfig(std::string_view text, const std::string& source,
                                     const std::string& base_dir, std::string_view context = {});

}  // namespace navarch::apiclient
