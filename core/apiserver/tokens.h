#pragma once
// Bearer-token authentication from a token file in kube-apiserver's
// --token-auth-file format: one `token,user,uid[,"group1,group2"]` per line;
// blank lines and lines starting with '#' are skipped.
//
// Identities the API server gives meaning to (node_restriction.h):
//   group system:masters                      an administrator
//   user system:node:<name>, group system:nodes  the kubelet of Node <name>
// e.g. a kubelet's own line:
//   <token>,system:node:worker-1,system:node:worker-1,"system:nodes"

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/base/status.h"

namespace navarch::apiserver {

struct TokenUser {
  std::string name;
  std::string uid;
  std::vector<std::string> groups;
};

class TokenAuthenticator {
 public:
  // kNotFound when the file is missing; kInvalidArgument naming the line
  // of a malformed entry (fewer than three fields, an empty token or user).
  static Result<TokenAuthenticator> Load(const std::string& path);
  static Result<TokenAuthenticator> Parse(std::string_view text, std::string_view source);

  // The user of `token`, or nullopt. Constant work per known token length.
  std::optional<TokenUser> Authenticate(std::string_view token) const;
  // The token of `user` (the first one listed), or "".
  std::string TokenOf(std::string_view user) const;
  size_t size() const { return tokens_.size(); }

 private:
  std::map<std::string, TokenUser, std::less<>> tokens_;
  std::map<std::string, std::string, std::less<>> by_user_;
};

// A fresh token: 32 random bytes from OpenSSL's generator, hex-encoded.
Result<std::string> GenerateToken();

// Creates `path` with one admin token (`<token>,admin,admin,"system:masters"`)
// when it does not exist; the token is 32 random bytes from OpenSSL's
// generator, hex-encoded. The file is written with mode 0600. Returns true
// when it created the file.
Result<bool> EnsureTokenFile(const std::string& path);

// A warning when the file at `path` (a token file, a key) may be read by
// users other than its owner (any group or other permission bit), naming
// the file and the chmod that fixes it; "" otherwise (or when it does not
// exist).
std::string PrivateFileWarning(const std::string& path);

}  // namespace navarch::apiserver
