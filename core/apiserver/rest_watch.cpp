// RestServer: watch streams (?watch=true), newline-delimited JSON events.
#include <boost/json.hpp>
#include <charconv>

#include "core/api/codec.h"
#include "core/api/types.h"
#include "core/api/well_known.h"
#include "core/apiserver/rest_internal.h"
#include "core/apiserver/watch_hubs.h"

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

// One watch stream. After Start(), every callback runs on the Clock's loop
// except OnShutdown and the writer's close notification, which only touch
// atomics and post to the loop.
class WatchSession final : public WatchSubscriber,
                           public std::enable_shared_from_this<WatchSession> {
 public:
  WatchSession(WatchHubs& hubs, runtime::Clock& clock, Metrics* metrics, api::Kind kind,
               std::string ns, Selectors selectors, store::Revision after, bool table,
               bool first_sent, std::shared_ptr<StreamWriter> out)
      : table_(table),
        first_(!first_sent),
        hubs_(hubs),
        clock_(clock),
        metrics_(metrics),
        kind_(kind),
        ns_(std::move(ns)),
        sel_(std::move(selectors)),
        after_(after),
        out_(std::move(out)) {
    if (metrics_) metrics_->WatchOpened();
  }
  ~WatchSession() override {
    if (metrics_) metrics_->WatchClosed();
  }

  void SetSubscription(WatchHubs::Subscription s) { sub_ = s; }

  // Timers: the end of the watch and, when asked, periodic bookmarks.
  void StartTimers(Duration timeout, std::optional<Duration> bookmarks) {
    std::weak_ptr<WatchSession> weak = shared_from_this();
    timeout_timer_ = clock_.After(timeout, [weak] {
      if (auto s = weak.lock()) s->Stop();
    });
    if (bookmarks) {
      bookmark_every_ = *bookmarks;
      ScheduleBookmark();
    }
  }

  void OnEvent(const HubEvent& ev) override {
    if (stopped_ || ev.revision <= after_) return;
    const bool now = Matches(ev.object, ev.deleted);
    const bool before = ev.previous && Matches(ev.previous, false);
    std::string_view type;
    if (ev.deleted) {
      if (!before) return;
      type = "DELETED";
    } else if (now && before) {
      type = "MODIFIED";
    } else if (now) {
      type = "ADDED";
    } else if (before) {
      type = "DELETED";
    } else {
      return;
    }
    if (table_) {
      const std::string t = WatchTableJson(kind_, ev.object, clock_.Now(), first_);
      first_ = false;
      if (!out_->Write(EventLine(type, t))) Stop();
      return;
    }
    if (!out_->Write(EventLine(type, ev.ObjectJson()))) Stop();
  }

  void OnError(const Status& status) override {
    if (stopped_) return;
    const int code = HttpCodeOf(status.code());
    out_->Write(EventLine("ERROR", StatusJson(code, ReasonOf(status.code()), status.message())));
    Stop();
  }

  void OnShutdown() override {
    stopped_ = true;
    out_->Finish();
  }

  void Stop() {
    if (stopped_.exchange(true)) {
      out_->Finish();
      return;
    }
    hubs_.Unsubscribe(sub_);
    clock_.Cancel(timeout_timer_);
    if (bookmark_timer_) clock_.Cancel(bookmark_timer_);
    out_->Finish();
  }

  bool Matches(const api::ObjectPtr& obj, bool /*deleted*/) const {
    if (!obj) return false;
    if (!ns_.empty() && obj->metadata.namespace_ != ns_) return false;
    return sel_.Matches(*obj);
  }

 private:
  const bool table_;
  bool first_;

  void ScheduleBookmark() {
    std::weak_ptr<WatchSession> weak = shared_from_this();
    bookmark_timer_ = clock_.After(bookmark_every_, [weak] {
      auto s = weak.lock();
      if (!s || s->stopped_) return;
      const store::Revision rv = std::max(s->after_, s->hubs_.Delivered(s->sub_));
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

  WatchHubs& hubs_;
  runtime::Clock& clock_;
  Metrics* metrics_;
  const api::Kind kind_;
  const std::string ns_;
  const Selectors sel_;
  const store::Revision after_;
  std::shared_ptr<StreamWriter> out_;
  WatchHubs::Subscription sub_{};
  std::atomic<bool> stopped_{false};
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
  std::optional<std::string> node;
  if (route.kind == api::Kind::kPod) {
    if (const std::string* n = sel->fields.NodeNameEquals()) node = *n;
  }

  Response resp;
  resp.content_type = "application/json";
  const store::Revision start = *rv;
  const api::Kind kind = route.kind;
  const std::string ns = route.ns;
  Selectors selectors = std::move(*sel);
  const bool table = WantsTable(r);
  resp.stream = [this, start, kind, ns, selectors, node, timeout, bookmarks,
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
    auto session = std::make_shared<WatchSession>(*hubs_, clock_, metrics_, kind, ns, selectors,
                                                  after, table, first_sent, out);
    auto sub = hubs_->Subscribe(kind, after, node, session, ns, selectors.labels);
    if (!sub.ok()) {
      const Status st = sub.code() == Code::kCompacted
                            ? Compacted("too old resource version: " + std::to_string(after) +
                                        " (" + std::to_string(store_.CompactedRevision()) + ")")
                            : sub.status();
      out->Write(
          EventLine("ERROR", StatusJson(HttpCodeOf(st.code()), ReasonOf(st.code()), st.message())));
      out->Finish();
      return;
    }
    session->SetSubscription(*sub);
    std::weak_ptr<WatchSession> weak = session;
    runtime::Clock* clock = &clock_;
    out->OnClosed([weak, clock] {
      clock->Post([weak] {
        if (auto s = weak.lock()) s->Stop();
      });
    });
    // The session lives as long as its subscription holds it (the hub's
    // subscriber list); Stop() unsubscribes.
    clock_.Post([session, timeout, bookmarks] { session->StartTimers(timeout, bookmarks); });
  };
  return resp;
}

}  // namespace navarch::apiserver
