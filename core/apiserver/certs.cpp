#include "core/apiserver/certs.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <memory>
#include <sstream>

namespace navarch::apiserver {

namespace {

struct Free {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
  void operator()(X509* p) const { X509_free(p); }
  void operator()(BIO* p) const { BIO_free(p); }
  void operator()(X509_EXTENSION* p) const { X509_EXTENSION_free(p); }
};
template <class T>
using Ptr = std::unique_ptr<T, Free>;

constexpr int64_t kDay = 24 * 3600;

bool Exists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return Unavailable("cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Status WriteFile(const std::string& path, const std::string& data, mode_t mode) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, mode);
  if (fd < 0) return Unavailable("cannot write " + path + ": check the data directory");
  const bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) return Unavailable("cannot write " + path);
  return Status::Ok();
}

Status OpenSslError(const std::string& what) {
  return Internal("OpenSSL failed to " + what);
}

Result<Ptr<EVP_PKEY>> NewKey() {
  Ptr<EVP_PKEY> key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return OpenSslError("generate an ECDSA P-256 key");
  return key;
}

std::string KeyPem(EVP_PKEY* key) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

std::string CertPem(X509* cert) {
  Ptr<BIO> bio(BIO_new(BIO_s_mem()));
  PEM_write_bio_X509(bio.get(), cert);
  char* data = nullptr;
  long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(n));
}

Status AddExt(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  Ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) {
    return OpenSslError("add certificate extension " + value);
  }
  return Status::Ok();
}

Result<Ptr<X509>> NewCert(EVP_PKEY* key, const std::string& cn, X509* issuer, EVP_PKEY* issuer_key,
                          Time now, int64_t days) {
  Ptr<X509> cert(X509_new());
  if (!cert) return OpenSslError("allocate a certificate");
  X509_set_version(cert.get(), 2);
  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof(serial)) != 1) return OpenSslError("draw a serial number");
  serial[0] &= 0x7F;
  BIGNUM* bn = BN_bin2bn(serial, sizeof(serial), nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  // Valid from an hour before `now` (tolerates small clock differences).
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), now.UnixSeconds() - 3600);
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), now.UnixSeconds() + days * kDay);
  X509_set_pubkey(cert.get(), key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("navarch"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : cert.get();
  NAVARCH_RETURN_IF_ERROR(AddExt(cert.get(), iss, NID_subject_key_identifier, "hash"));
  if (!issuer) {
    NAVARCH_RETURN_IF_ERROR(AddExt(cert.get(), iss, NID_basic_constraints, "critical,CA:TRUE"));
    NAVARCH_RETURN_IF_ERROR(
        AddExt(cert.get(), iss, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature"));
  }
  (void)issuer_key;
  return cert;
}

}  // namespace

Result<TlsMaterial> EnsureServingCertificates(const std::string& dir,
                                              const std::vector<std::string>& hosts, Time now) {
  const std::string ca_crt = dir + "/ca.crt", ca_key = dir + "/ca.key";
  const std::string srv_crt = dir + "/apiserver.crt", srv_key = dir + "/apiserver.key";
  TlsMaterial out;
  if (Exists(ca_crt) && Exists(srv_crt) && Exists(srv_key)) {
    NAVARCH_ASSIGN_OR_RETURN(out.ca_pem, ReadFile(ca_crt));
    NAVARCH_ASSIGN_OR_RETURN(out.cert_pem, ReadFile(srv_crt));
    NAVARCH_ASSIGN_OR_RETURN(out.key_pem, ReadFile(srv_key));
    return out;
  }
  NAVARCH_ASSIGN_OR_RETURN(auto cakey, NewKey());
  NAVARCH_ASSIGN_OR_RETURN(auto ca,
                           NewCert(cakey.get(), "navarch-ca", nullptr, nullptr, now, 3650));
  NAVARCH_RETURN_IF_ERROR(AddExt(ca.get(), ca.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(ca.get(), cakey.get(), EVP_sha256()) == 0) return OpenSslError("sign the CA");

  NAVARCH_ASSIGN_OR_RETURN(auto key, NewKey());
  NAVARCH_ASSIGN_OR_RETURN(
      auto cert, NewCert(key.get(), "navarch-apiserver", ca.get(), cakey.get(), now, 365));
  std::string san;
  for (const auto& h : hosts) {
    if (!san.empty()) san += ',';
    const bool ip =
        h.find_first_not_of("0123456789.") == std::string::npos || h.find(':') != std::string::npos;
    san += (ip ? "IP:" : "DNS:") + h;
  }
  if (!san.empty()) {
    NAVARCH_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_subject_alt_name, san));
  }
  NAVARCH_RETURN_IF_ERROR(
      AddExt(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyEncipherment"));
  NAVARCH_RETURN_IF_ERROR(AddExt(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth"));
  NAVARCH_RETURN_IF_ERROR(
      AddExt(cert.get(), ca.get(), NID_authority_key_identifier, "keyid:always"));
  if (X509_sign(cert.get(), cakey.get(), EVP_sha256()) == 0) {
    return OpenSslError("sign the serving certificate");
  }
  out.ca_pem = CertPem(ca.get());
  out.cert_pem = CertPem(cert.get());
  out.key_pem = KeyPem(key.get());
  out.generated = true;
  ::mkdir(dir.c_str(), 0700);
  NAVARCH_RETURN_IF_ERROR(WriteFile(ca_key, KeyPem(cakey.get()), 0600));
  NAVARCH_RETURN_IF_ERROR(WriteFile(ca_crt, out.ca_pem, 0644));
  NAVARCH_RETURN_IF_ERROR(WriteFile(srv_key, out.key_pem, 0600));
  NAVARCH_RETURN_IF_ERROR(WriteFile(srv_crt, out.cert_pem, 0644));
  return out;
}

}  // namespace navarch::apiserver
