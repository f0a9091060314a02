#include "core/apiserver/kubeconfig_writer.h"

#include <fcntl.h>
#include <unistd.h>

#include "core/base/strings.h"

namespace navarch::apiserver {

namespace {

// A YAML double-quoted scalar.
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
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
