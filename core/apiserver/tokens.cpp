#include "core/apiserver/tokens.h"
#include "core/base/strings.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <vector>

namespace navarch::apiserver {

namespace {

// A CSV field without surrounding whitespace or double quotes.
std::string Field(std::string_view s) {
  s = TrimWhitespace(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') s = s.substr(1, s.size() - 2);
  return std::string(s);
}

}  // namespace

Result<TokenAuthenticator> TokenAuthenticator::Parse(std::string_view text,
                                                     std::string_view source) {
  TokenAuthenticator out;
  int lineno = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++lineno;
    std::string trimmed = Field(line);
    if (trimmed.empty() || trimmed[0] == '#') {
      if (end == text.size()) break;
      continue;
    }
    // Fields split on commas outside double quotes.
    std::vector<std::string> fields;
    std::string cur;
    bool quoted = false;
    for (char c : line) {
      if (c == '"') quoted = !quoted;
      if (c == ',' && !quoted) {
        fields.push_back(Field(cur));
        cur.clear();
      } else {
        cur += c;
      }
    }
    fields.push_back(Field(cur));
    const std::string where = std::string(source) + ":" + std::to_string(lineno);
    if (fields.size() < 3 || fields[0].empty() || fields[1].empty()) {
      return InvalidArgument(where +
                             ": a token line is `token,user,uid[,\"groups\"]` with a non-empty "
                             "token and user");
    }
    if (out.tokens_.count(fields[0])) {
      return InvalidArgument(where + ": the token is listed twice");
    }
    TokenUser user{fields[1], fields[2], {}};
    if (fields.size() > 3) {
      // The groups field, quoted, is itself comma-separated.
      std::string_view groups = fields[3];
      while (!groups.empty()) {
        const size_t comma = groups.find(',');
        const std::string group(TrimWhitespace(groups.substr(0, comma)));
        if (!group.empty()) user.groups.push_back(group);
        if (comma == std::string_view::npos) break;
        groups.remove_prefix(comma + 1);
      }
    }
    out.tokens_[fields[0]] = std::move(user);
    out.by_user_.emplace(fields[1], fields[0]);
    if (end == text.size()) break;
  }
  return out;
}

Result<TokenAuthenticator> TokenAuthenticator::Load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return NotFound("token file " + path + " cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return Parse(ss.str(), path);
}

std::optional<TokenUser> TokenAuthenticator::Authenticate(std::string_view token) const {
  if (token.empty()) return std::nullopt;
  auto it = tokens_.find(token);
  if (it == tokens_.end()) return std::nullopt;
  return it->second;
}

std::string TokenAuthenticator::TokenOf(std::string_view user) const {
  auto it = by_user_.find(user);
  return it == by_user_.end() ? std::string() : it->second;
}

Result<std::string> GenerateToken() {
  unsigned char bytes[32];
  if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
    return Internal("cannot generate a token: OpenSSL's random generator failed");
  }
  std::string token;
  char hex[3];
  for (unsigned char b : bytes) {
    std::snprintf(hex, sizeof(hex), "%02x", b);
    token += hex;
  }
  return token;
}

std::string PrivateFileWarning(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || (st.st_mode & 077) == 0) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
  return path + " has mode " + mode + ": users other than its owner may read it; run chmod 600 " +
         path;
}

Result<bool> EnsureTokenFile(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return false;
  NAVARCH_ASSIGN_OR_RETURN(std::string token, GenerateToken());
  const std::string line = token + ",admin,admin,\"system:masters\"\n";
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
  if (fd < 0) return Unavailable("cannot create token file " + path + ": check the directory");
  const bool ok = ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok) return Unavailable("cannot write token file " + path);
  return true;
}

}  // namespace navarch::apiserver
