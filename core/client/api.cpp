#include "core/client/api.h"

namespace navarch::client {

std::string_view WatchEventTypeName(WatchEvent::Type type) {
  switch (type) {
    case WatchEvent::Type::kAdded:
      return "ADDED";
    case WatchEvent::Type::kModified:
      return "MODIFIED";
    case WatchEvent::Type::kDeleted:
      return "DELETED";
    case WatchEvent::Type::kError:
      return "ERROR";
  }
  return "UNKNOWN";
}

std::string ObjectName(Kind kind, std::string_view ns, std::string_view name) {
  std::string out(api::InfoOf(kind).resource);
  out += '/';
  if (api::InfoOf(kind).namespaced) {
    out += ns;
    out += '/';
  }
  out += name;
  return out;
}

std::string ObjectName(const api::Object& obj) {
  return ObjectName(obj.kind(), obj.metadata.namespace_, obj.metadata.name);
}

}  // namespace navarch::client
