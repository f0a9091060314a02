// OpenStore: the one place that turns a store URL into an implementation.

#include <memory>
#include <string>
#include <string_view>

#include "core/store/memory_store.h"
#include "core/store/sqlite_store.h"
#include "core/store/store.h"

namespace navarch::store {
namespace {

constexpr std::string_view kAccepted =
    "accepted: \"memory:\" or \"sqlite:PATH[?sync=full|normal]\"";

Result<SqliteStoreOptions> ParseSqliteQuery(std::string_view url, std::string_view query) {
  SqliteStoreOptions options;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = param.find('=');
    std::string_view name = param.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : param.substr(eq + 1);
    if (name == "sync" && value == "full") {
      options.sync = SqliteStoreOptions::Sync::kFull;
    } else if (name == "sync" && value == "normal") {
      options.sync = SqliteStoreOptions::Sync::kNormal;
    } else if (name == "sync") {
      return InvalidArgument("store URL \"" + std::string(url) +
                             "\": sync must be full or normal, got \"" + std::string(value) + "\"");
    } else {
      return InvalidArgument("store URL \"" + std::string(url) + "\": unknown parameter \"" +
                             std::string(name) + "\" (the only one is sync=full|normal)");
    }
  }
  return options;
}

}  // namespace

Result<std::unique_ptr<Store>> OpenStore(std::string_view url) {
  if (url == "memory:" || url == "memory") {
    return std::unique_ptr<Store>(std::make_unique<MemoryStore>());
  }
  constexpr std::string_view kSqlite = "sqlite:";
  if (url.substr(0, kSqlite.size()) == kSqlite) {
    std::string_view rest = url.substr(kSqlite.size());
    size_t q = rest.find('?');
    std::string path(rest.substr(0, q));
    if (path.empty()) {
      return InvalidArgument("store URL \"" + std::string(url) +
                             "\": missing database path, e.g. sqlite:/var/lib/navarch/state.db");
    }
    SqliteStoreOptions options;
    if (q != std::string_view::npos) {
      NAVARCH_ASSIGN_OR_RETURN(options, ParseSqliteQuery(url, rest.substr(q + 1)));
    }
    NAVARCH_ASSIGN_OR_RETURN(auto store, SqliteStore::Open(path, options));
    return std::unique_ptr<Store>(std::move(store));
  }
  return InvalidArgument("unknown store URL \"" + std::string(url) + "\"; " +
                         std::string(kAccepted));
}

}  // namespace navarch::store
