// RestServer: watch streams (?watch=true), newline-delimited JSON events.
#include <boost/json.hpp>
#include <charconv>

#include "core/api/codec.h"
#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/apiserver/rest_internal.h"
#include "core/client/watch_feed.h"

namespace navarch::apiserver {

namespace {

std::string EventLine(std::string_view type, std::string_view object_json) {
  std::string line;
  line.reserve(object_json.size() + 32);
  line += "{\"type\":\"";
  line += type;
  line += "\",\"object\":";
  line += object_json;
  line += "}\n";
  return line;
}

// One watch stream. Events, errors, timers and the writer's close
// notification run on the Clock's loop; ShutDown may come from any thread
// and only touches atomics and the writer.
class WatchSession final : public WatchStream, public std::enable_shared_from_this<WatchSession> {
 public:
  WatchSession(RestServer::Impl& server, runtime::Clock& clock, Metrics* metrics, api::Kind kind,
               store::Revision after, bool table, bool first_sent,
               std::shared_ptr<StreamWriter> out)
      : table_(table),
        first_(!first_sent),
        server_(server),
        clock_(clock),
        metrics_(metrics),
        kind_(kind),
        after_(after),
        out_(std::move(out)) {
    if (metrics_) metrics_->WatchOpened();
  }
  ~WatchSession() override {
    if (metrics_) metrics_->WatchClosed();
  }

  // Called once the watch is set up (on the request's thread).
  void Attach(uint64_t stream_id, std::unique_ptr<client::WatchHandle> handle) {
    std::unique_ptr<client::WatchHandle> stop_now;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stream_id_ = stream_id;
      handle_ = std::move(handle);
      if (stopped_) stop_now = std::move(handle_);
    }
    if (stop_now) stop_now->Stop();
  }

  // Timers: the end of the watch and, when asked, periodic bookmarks.
  void StartTimers(Duration timeout, std::optional<Duration> bookmarks) {
    if (stopped_) return;
    std::weak_ptr<WatchSession> weak = shared_from_this();
    timeout_timer_ = clock_.After(timeout, [weak] {
      if (auto s = weak.lock()) s->Stop();
    });
    if (bookmarks) {
      bookmark_every_ = *bookmarks;
      ScheduleBookmark();
    }
  }

  void OnEvent(const client::WatchEvent& ev) {
    if (stopped_) return;
    if (ev.type == client::WatchEvent::Type::kError) {
      const Status& st = ev.error;
      out_->Write(
          EventLine("ERROR", StatusJson(HttpCodeOf(st.code()), ReasonOf(st.code()), st.message())));
      Stop();
      return;
    }
    const std::string_view type = client::WatchEventTypeName(ev.type);
    if (table_) {
      const std::string t = WatchTableJson(kind_, ev.object, clock_.Now(), first_);
      first_ = false;
      if (!out_->Write(EventLine(type, t))) Stop();
      return;
    }
    if (!out_->Write(EventLine(type, server_.EventObjectJson(ev.object)))) Stop();
  }

  void ShutDown() override {
    stopped_ = true;
    out_->Finish();
  }

  void Stop() {
    auto self = shared_from_this();  // dropping the watch may drop the last owner
    std::unique_ptr<client::WatchHandle> handle;
    uint64_t id = 0;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopped_ = true;
      handle = std::move(handle_);
      id = std::exchange(stream_id_, 0);
    }
    if (handle) handle->Stop();
    if (id) server_.RemoveStream(id);
    if (timeout_timer_) clock_.Cancel(std::exchange(timeout_timer_, 0));
    if (bookmark_timer_) clock_.Cancel(std::exchange(bookmark_timer_, 0));
    out_->Finish();
  }

 private:
  const bool table_;
  bool first_;

  void ScheduleBookmark() {
    std::weak_ptr<WatchSession> weak = shared_from_this();
    bookmark_timer_ = clock_.After(bookmark_every_, [weak] {
      auto s = weak.lock();
      if (!s || s->stopped_) return;
      store::Revision delivered = 0;
      {
        std::lock_guard<std::mutex> lock(s->mu_);
        if (s->handle_) delivered = s->handle_->Delivered();
      }
      const store::Revision rv = std::max(s->after_, delivered);
      std::string obj = "{\"kind\":\"" + std::string(api::InfoOf(s->kind_).name) +
                        "\",\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"" +
                        std::to_string(rv) + "\"}}";
      if (!s->out_->Write(EventLine("BOOKMARK", obj))) {
        s->Stop();
        return;
      }
      s->ScheduleBookmark();
    });
  }

  RestServer::Impl& server_;
  runtime::Clock& clock_;
  Metrics* metrics_;
  const api::Kind kind_;
  const store::Revision after_;
  std::shared_ptr<StreamWriter> out_;
  std::atomic<bool> stopped_{false};
  std::mutex mu_;
  std::unique_ptr<client::WatchHandle> handle_;  // guarded by mu_
  uint64_t stream_id_ = 0;                       // guarded by mu_
  runtime::TimerId timeout_timer_ = 0;
  runtime::TimerId bookmark_timer_ = 0;
  Duration bookmark_every_{0};
};

}  // namespace

Response RestServer::Impl::Watch(const Request& r, const Route& route) {
  if (shutting_down_) {
    return StatusResponse(503, "ServiceUnavailable", "the API server is shutting down");
  }
  if (!route.name.empty()) {
    return StatusResponse(405, "MethodNotAllowed",
                          "watch a single object with ?fieldSelector=metadata.name=" + route.name +
                              " on the collection");
  }
  auto sel = ParseSelectors(r, route.kind);
  if (!sel.ok()) return ErrorResponse(sel.status());
  auto rv = api::ParseResourceVersion(QueryOr(r, "resourceVersion"), "resourceVersion");
  if (!rv.ok()) return ErrorResponse(rv.status());
  auto timeout_s = QueryInt(r, "timeoutSeconds");
  if (!timeout_s.ok()) return ErrorResponse(timeout_s.status());
  Duration timeout = options_.default_watch_timeout;
  if (*timeout_s && **timeout_s > 0) timeout = seconds(**timeout_s);
  const std::string bm = QueryOr(r, "allowWatchBookmarks");
  std::optional<Duration> bookmarks;
  if (bm == "true" || bm == "1") bookmarks = options_.bookmark_interval;

  Response resp;
  resp.content_type = "application/json";
  const store::Revision start = *rv;
  const api::Kind kind = route.kind;
  const std::string ns = route.ns;
  Selectors selectors = std::move(*sel);
  const bool table = WantsTable(r);
  resp.stream = [this, start, kind, ns, selectors, timeout, bookmarks,
                 table](std::shared_ptr<StreamWriter> out) {
    store::Revision after = start;
    bool first_sent = false;
    if (start == 0) {
      // Replay the current state as ADDED events, then continue from it.
      client::ListOptions lo;
      lo.namespace_ = ns;
      lo.label_selector = selectors.labels;
      lo.field_selector = selectors.fields;
      Result<client::ObjectList> list = [&] {
        auto lease = AcquireApi();
        return lease->List(kind, lo);
      }();
      if (!list.ok()) {
        out->Write(EventLine("ERROR", StatusJson(HttpCodeOf(list.code()), ReasonOf(list.code()),
                                                 list.status().message())));
        out->Finish();
        return;
      }
      for (const auto& obj : list->items) {
        if (!selectors.Matches(*obj)) continue;
        const std::string body =
            table ? WatchTableJson(kind, obj, clock_.Now(), !first_sent) : api::EncodeJson(*obj);
        first_sent = true;
        if (!out->Write(EventLine("ADDED", body))) return;
      }
      after = api::ParseResourceVersion(list->resource_version, "list").value_or(0);
    }
    auto session = std::make_shared<WatchSession>(*this, clock_, metrics_, kind, after, table,
                                                  first_sent, out);
    const uint64_t stream_id = AddStream(session);
    if (stream_id == 0) {
      out->Write(EventLine(
          "ERROR", StatusJson(503, "ServiceUnavailable", "the API server is shutting down")));
      out->Finish();
      return;
    }
    // The feed holds the session through its handler until the watch ends.
    client::WatchOptions wo;
    wo.namespace_ = ns;
    wo.label_selector = selectors.labels;
    wo.field_selector = selectors.fields;
    wo.resource_version = std::to_string(after);
    Result<std::unique_ptr<client::WatchHandle>> handle = [&] {
      auto lease = AcquireApi();
      return lease->Watch(kind, wo,
                          [session](const client::WatchEvent& ev) { session->OnEvent(ev); });
    }();
    if (!handle.ok()) {
      RemoveStream(stream_id);
      out->Write(EventLine("ERROR", StatusJson(HttpCodeOf(handle.code()), ReasonOf(handle.code()),
                                               handle.status().message())));
      out->Finish();
      return;
    }
    session->Attach(stream_id, std::move(*handle));
    std::weak_ptr<WatchSession> weak = session;
    runtime::Clock* clock = &clock_;
    out->OnClosed([weak, clock] {
      clock->Post([weak] {
        if (auto s = weak.lock()) s->Stop();
      });
    });
    clock_.Post([session, timeout, bookmarks] { session->StartTimers(timeout, bookmarks); });
  };
  return resp;
}

}  // namespace navarch::apiserver
