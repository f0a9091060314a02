#pragma once
// TLS material for the API server: a self-signed CA and a serving
// certificate signed by it, generated on first start into a data directory
// and reused afterwards.
//
// Files (PEM): ca.crt, ca.key, apiserver.crt, apiserver.key (keys mode
// 0600). Keys are ECDSA P-256 from OpenSSL's generator. The serving
// certificate names every host given (IP addresses as IP SANs, others as
// DNS SANs) and is valid for one year from `now`; the CA for ten years.
// When the files exist they are loaded as they are (regenerate by deleting
// them).

#include <string>
#include <vector>

#include "core/base/status.h"
#include "core/base/time.h"

namespace navarch::apiserver {

struct TlsMaterial {
  std::string ca_pem;
  std::string cert_pem;  // serving certificate
  std::string key_pem;   // serving key
  bool generated = false;
};

// kUnavailable naming the path when a file cannot be written or read;
// kInternal when OpenSSL fails.
Result<TlsMaterial> EnsureServingCertificates(const std::string& dir,
                                              const std::vector<std::string>& hosts, Time now);

}  // namespace navarch::apiserver
