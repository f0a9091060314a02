#include "core/apiclient/kubeconfig.h"

#include <filesystem>

#include "core/base/files.h"
#include "core/base/strings.h"
#include "core/base/yaml.h"

namespace navarch::apiclient {

namespace {

// Kubeconfigs, CA bundles and token files are small.
Result<std::string> ReadFile(const std::string& path, const std::string& what) {
  return ReadBoundedFile(path, 16 * 1024 * 1024, what);
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return (std::filesystem::path(base_dir) / path).string();
}

// Finds the entry named `name` in the list `key` ("clusters") and returns its
// inner map (`inner`: "cluster").
Result<yaml::Node> FindNamed(const yaml::Node& root, const std::string& source,
                             const std::string& key, const std::string& inner,
                             const std::string& name) {
  yaml::Node list = root.Find(key);
  if (!list.IsSequence()) {
    return InvalidArgument(source + ": " + key + ": missing or not a list (the context refers to " +
                           inner + " \"" + name + "\")");
  }
  for (size_t i = 0; i < list.size(); ++i) {
    yaml::Node entry = list[i];
    if (!entry.IsMap()) continue;
    if (entry.Find("name").IsScalar() && entry.Find("name").scalar() == name) {
      yaml::Node body = entry.Find(inner);
      if (!body.IsMap()) {
        return InvalidArgument(source + ": " + key + "[" + std::to_string(i) + "]." + inner +
                               ": missing or not a mapping");
      }
      return body;
    }
  }
  return InvalidArgument(source + ": " + key + ": no entry named \"" + name + "\"");
}

std::string Scalar(const yaml::Node& map, const char* field) {
  yaml::Node n = map.Find(field);
  if (!n.IsScalar()) return {};
  return n.scalar();
}

}  // namespace

Result<ClientConfig> ParseKubeconfig(std::string_view text, const std::string& source,
                                     const std::string& base_dir, std::string_view context) {
  yaml::Limits limits;
  limits.max_input_bytes = 16 * 1024 * 1024;
  yaml::Loaded loaded = yaml::Load(text, limits);
  if (!loaded.ok) {
    return InvalidArgument(source + ": not valid YAML: " + loaded.error.ToString());
  }
  const yaml::Node root = loaded.documents[0];
  if (!root.IsMap()) return InvalidArgument(source + ": not a kubeconfig (expected a mapping)");
  std::string ctx_name(context);
  if (ctx_name.empty()) {
    ctx_name = Scalar(root, "current-context");
    if (ctx_name.empty()) {
      return InvalidArgument(source +
                             ": current-context: not set (set it with `kubectl config "
                             "use-context NAME` or name a context explicitly)");
    }
  }
  NAVARCH_ASSIGN_OR_RETURN(yaml::Node ctx,
                           FindNamed(root, source, "contexts", "context", ctx_name));
  const std::string cluster_name = Scalar(ctx, "cluster");
  if (cluster_name.empty()) {
    return InvalidArgument(source + ": contexts[" + ctx_name + "].context.cluster: not set");
  }
  NAVARCH_ASSIGN_OR_RETURN(yaml::Node cluster,
                           FindNamed(root, source, "clusters", "cluster", cluster_name));
  ClientConfig out;
  out.source = source;
  const std::string where = source + ": clusters[" + cluster_name + "].cluster.";
  out.server = Scalar(cluster, "server");
  if (out.server.empty()) return InvalidArgument(where + "server: not set");
  if (out.server.rfind("http://", 0) != 0 && out.server.rfind("https://", 0) != 0) {
    return InvalidArgument(where + "server: \"" + out.server +
                           "\" must start with http:// or https://");
  }
  out.tls_server_name = Scalar(cluster, "tls-server-name");
  const std::string skip = Scalar(cluster, "insecure-skip-tls-verify");
  if (!skip.empty() && skip != "true" && skip != "false") {
    return InvalidArgument(where + "insecure-skip-tls-verify: \"" + skip +
                           "\" must be true or false");
  }
  out.insecure_skip_tls_verify = skip == "true";
  if (std::string data = Scalar(cluster, "certificate-authority-data"); !data.empty()) {
    auto pem = DecodeBase64(data);
    if (!pem.ok())
      return InvalidArgument(where + "certificate-authority-data: " + pem.status().message());
    out.ca_pem = std::move(*pem);
  } else if (std::string file = Scalar(cluster, "certificate-authority"); !file.empty()) {
    auto pem = ReadFile(Resolve(base_dir, file), where + "certificate-authority");
    if (!pem.ok()) return InvalidArgument(pem.status().message());
    out.ca_pem = std::move(*pem);
  }

  const std::string user_name = Scalar(ctx, "user");
  if (!user_name.empty()) {
    NAVARCH_ASSIGN_OR_RETURN(yaml::Node user, FindNamed(root, source, "users", "user", user_name));
    const std::string uwhere = source + ": users[" + user_name + "].user.";
    out.bearer_token = Scalar(user, "token");
    if (out.bearer_token.empty()) {
      if (std::string file = Scalar(user, "tokenFile"); !file.empty()) {
        auto token = ReadFile(Resolve(base_dir, file), uwhere + "tokenFile");
        if (!token.ok()) return InvalidArgument(token.status().message());
        std::string t = std::move(*token);
        while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' '))
          t.pop_back();
        out.bearer_token = std::move(t);
      }
    }
    if (out.bearer_token.empty()) {
      for (const char* unsupported :
           {"client-certificate-data", "client-certificate", "exec", "auth-provider", "username"}) {
        if (user.Find(unsupported)) {
          return InvalidArgument(uwhere + unsupported +
                                 ": not supported by navarch (use a bearer token: token or "
                                 "tokenFile)");
        }
      }
    }
  }
  return out;
}

Result<ClientConfig> LoadKubeconfig(const std::string& path, std::string_view context) {
  NAVARCH_ASSIGN_OR_RETURN(std::string text, ReadFile(path, "kubeconfig"));
  return ParseKubeconfig(text, path, std::filesystem::path(path).parent_path().string(), context);
}

}  // namespace navarch::apiclient
