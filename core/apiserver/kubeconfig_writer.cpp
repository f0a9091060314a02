#include "core/apiserver/kubeconfig_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>

#include "core/base/strings.h"

namespace navarch::apiserver {

namespace {

// A YAML double-quoted scalar that reads back as `s`: printable ASCII as
// is, every other character escaped (a raw line break would be folded into
// a space, and control characters are not allowed in YAML text at all).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  char buf[16];
  for (size_t i = 0; i < s.size();) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F) {
      if (c == '"' || c == '\\') out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    // A UTF-8 sequence becomes \uXXXX or \UXXXXXXXX; a stray byte (text is
    // UTF-8 by the time it gets here) becomes \xXX.
    const int n = c < 0x80             ? 0
                  : (c & 0xE0) == 0xC0 ? 1
                  : (c & 0xF0) == 0xE0 ? 2
                  : (c & 0xF8) == 0xF0 ? 3
                                       : -1;
    uint32_t cp = n == 0 ? c : n == 1 ? c & 0x1F : n == 2 ? c & 0x0F : c & 0x07;
    bool ok = n >= 0 && i + n < s.size();
    for (int k = 1; ok && k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      ok = (d & 0xC0) == 0x80;
      cp = cp << 6 | (d & 0x3F);
    }
    if (!ok) {
      std::snprintf(buf, sizeof buf, "\\x%02X", c);
      ++i;
    } else {
      std::snprintf(buf, sizeof buf, cp > 0xFFFF ? "\\U%08X" : "\\u%04X", cp);
      i += n + 1;
    }
    out += buf;
  }
  return out + "\"";
}

}  // namespace

std::string RenderKubeconfig(const KubeconfigContents& c) {
  std::string out;
  out += "apiVersion: v1\nkind: Config\nclusters:\n- name: navarch\n  cluster:\n";
  out += "    server: " + Quote(c.server) + "\n";
  if (!c.ca_pem.empty()) out += "    certificate-authority-data: " + EncodeBase64(c.ca_pem) + "\n";
  out += "users:\n- name: " + Quote(c.user) + "\n  user:";
  if (c.token.empty()) {
    out += " {}\n";
  } else {
    out += "\n    token: " + Quote(c.token) + "\n";
  }
  out +=
      "contexts:\n- name: navarch\n  context:\n    cluster: navarch\n    user: " + Quote(c.user) +
      "\n    namespace: default\n";
  out += "current-context: navarch\npreferences: {}\n";
  return out;
}

Status WriteKubeconfig(const std::string& path, const KubeconfigContents& c) {
  const std::string text = RenderKubeconfig(c);
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return Unavailable("cannot write kubeconfig " + path + ": check the directory");
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  ::fsync(fd);
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    return Unavailable("cannot write kubeconfig " + path);
  }
  return Status::Ok();
}

}  // namespace navarch::apiserver
