// The one decoder (a JSON value to an object) and the one encoder (an object
// to a JSON value), both driven by the field tables in wire_schema.h, and the
// JSON text front end. The YAML front end (yaml_codec.cpp) converts YAML to a
// JSON value and uses the same decoder.

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <charconv>
#include <limits>
#include <optional>
#include <set>
#include <type_traits>

#include "core/api/codec.h"
#include "core/api/codec_internal.h"
#include "core/api/types.h"
#include "core/api/wire_schema.h"
#include "core/base/strings.h"

namespace navarch::api {
namespace internal {
namespace {

namespace json = boost::json;

// "string \"three\"", "number 3", "a list", ... for type mismatch messages.
std::string Describe(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return v.get_bool() ? "boolean true" : "boolean false";
    case json::kind::int64:
    case json::kind::uint64:
    case json::kind::double_:
      return "number " + json::serialize(v);
    case json::kind::string: {
      std::string s = json::serialize(v);
      if (s.size() > 60) s = s.substr(0, 56) + "...\"";
      return "string " + s;
    }
    case json::kind::array:
      return "a list";
    case json::kind::object:
      return "a mapping";
  }
  return "a value";
}

void TypeError(const json::value& v, std::string_view want, DecodeContext& ctx) {
  ctx.Error("expected " + std::string(want) + ", got " + Describe(v));
}

// ---------------------------------------------------------------------------
// Decoding. Each Decode leaves `out` unchanged when it reports an error.

void Decode(const json::value& v, std::string& out, DecodeContext& ctx) {
  if (const json::string* s = v.if_string()) {
    out.assign(s->data(), s->size());
  } else {
    TypeError(v, "a string", ctx);
  }
}

void Decode(const json::value& v, bool& out, DecodeContext& ctx) {
  if (const bool* b = v.if_bool()) {
    out = *b;
  } else {
    TypeError(v, "true or false", ctx);
  }
}

template <class I>
requires std::is_same_v<I, int32_t> || std::is_same_v<I, int64_t>
void Decode(const json::value& v, I& out, DecodeContext& ctx) {
  constexpr std::string_view kWant =
      std::is_same_v<I, int32_t> ? "a 32-bit integer" : "a 64-bit integer";
  if (const int64_t* i = v.if_int64()) {
    if (*i < std::numeric_limits<I>::min() || *i > std::numeric_limits<I>::max()) {
      ctx.Error("expected " + std::string(kWant) + ", got " + std::to_string(*i) +
                " (out of range)");
      return;
    }
    out = static_cast<I>(*i);
  } else if (v.is_uint64()) {
    ctx.Error("expected " + std::string(kWant) + ", got " + json::serialize(v) + " (out of range)");
  } else {
    TypeError(v, kWant, ctx);
  }
}

void Decode(const json::value& v, Time& out, DecodeContext& ctx) {
  const json::string* s = v.if_string();
  if (!s) {
    TypeError(v, "an RFC 3339 timestamp string", ctx);
    return;
  }
  auto t = Time::ParseRfc3339(std::string_view(s->data(), s->size()));
  if (!t.ok()) {
    ctx.Error(t.status().message());
    return;
  }
  out = *t;
}

void Decode(const json::value& v, Quantity& out, DecodeContext& ctx) {
  std::string text;
  if (const json::string* s = v.if_string()) {
    text.assign(s->data(), s->size());
  } else if (v.is_int64() || v.is_uint64()) {
    text = json::serialize(v);
  } else if (const double* d = v.if_double()) {
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, *d);
    text.assign(buf, ec == std::errc() ? end : buf);
  } else {
    TypeError(v, "a quantity such as \"500m\" or \"1Gi\"", ctx);
    return;
  }
  auto q = Quantity::Parse(text);
  if (!q.ok()) {
    ctx.Error(q.status().message());
    return;
  }
  out = *q;
}

void Decode(const json::value& v, IntOrString& out, DecodeContext& ctx) {
  if (const json::string* s = v.if_string()) {
    out = IntOrString(std::string(s->data(), s->size()));
  } else if (const int64_t* i = v.if_int64()) {
    if (*i < std::numeric_limits<int32_t>::min() || *i > std::numeric_limits<int32_t>::max()) {
      ctx.Error("expected a 32-bit integer or a string, got " + std::to_string(*i) +
                " (out of range)");
      return;
    }
    out = IntOrString(static_cast<int32_t>(*i));
  } else {
    TypeError(v, "an integer or a string", ctx);
  }
}

template <class T>
requires HasSchema<T>
void Decode(const json::value& v, T& out, DecodeContext& ctx);

template <class T>
void Decode(const json::value& v, std::optional<T>& out, DecodeContext& ctx) {
  T value{};
  size_t errors = ctx.errors.size();
  Decode(v, value, ctx);
  if (ctx.errors.size() == errors) out = std::move(value);
}

template <class T>
void Decode(const json::value& v, Shared<T>& out, DecodeContext& ctx) {
  Decode(v, out.Mutable(), ctx);
}

template <class T>
void Decode(const json::value& v, std::vector<T>& out, DecodeContext& ctx) {
  const json::array* a = v.if_array();
  if (!a) {
    TypeError(v, "a list", ctx);
    return;
  }
  out.clear();
  out.resize(a->size());
  for (size_t i = 0; i < a->size(); ++i) {
    size_t mark = ctx.PushIndex(i);
    if ((*a)[i].is_null()) {
      ctx.Error("expected a list item, got null");
    } else {
      Decode((*a)[i], out[i], ctx);
    }
    ctx.Pop(mark);
  }
}

template <class T>
void Decode(const json::value& v, std::map<std::string, T>& out, DecodeContext& ctx) {
  const json::object* o = v.if_object();
  if (!o) {
    TypeError(v, "a mapping", ctx);
    return;
  }
  out.clear();
  for (const auto& kv : *o) {
    size_t mark = ctx.PushKey(kv.key());
    T value{};
    Decode(kv.value(), value, ctx);
    out.emplace_hint(out.end(), std::string(kv.key()), std::move(value));
    ctx.Pop(mark);
  }
}

template <class T>
bool IsIgnored(std::string_view key) {
  if constexpr (requires { Schema<T>::kIgnored; }) {
    for (std::string_view name : Schema<T>::kIgnored) {
      if (name == key) return true;
    }
  }
  return false;
}

template <class T>
requires HasSchema<T>
void Decode(const json::value& v, T& out, DecodeContext& ctx) {
  const json::object* o = v.if_object();
  if (!o) {
    TypeError(v, "a mapping", ctx);
    return;
  }
  for (const auto& kv : *o) {
    std::string_view key = kv.key();
    const json::value& fv = kv.value();
    size_t mark = ctx.PushKey(key);
    bool found = std::apply(
        [&](const auto&... f) {
          return ((f.name == key ? (fv.is_null() ? void() : Decode(fv, out.*(f.member), ctx), true)
                                 : false) ||
                  ...);
        },
        Schema<T>::kFields);
    if (!found && !IsIgnored<T>(key)) {
      if (ctx.strict) {
        ctx.Error("unknown field");
      } else {
        ctx.dropped.push_back(ctx.path);
      }
    }
    ctx.Pop(mark);
  }
}

template <class T>
std::unique_ptr<Object> DecodeAs(const json::value& v, DecodeContext& ctx) {
  auto obj = std::make_unique<T>();
  Decode(v, *obj, ctx);
  return obj;
}

std::string AcceptedKinds() {
  std::string s;
  for (Kind k : AllKinds()) {
    if (!s.empty()) s += ", ";
    s += InfoOf(k).name;
  }
  return s;
}

// ---------------------------------------------------------------------------
// Encoding

bool IsEmpty(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return true;
    case json::kind::bool_:
      return !v.get_bool();
    case json::kind::int64:
      return v.get_int64() == 0;
    case json::kind::uint64:
      return v.get_uint64() == 0;
    case json::kind::double_:
      return v.get_double() == 0;
    case json::kind::string:
      return v.get_string().empty();
    case json::kind::array:
      return v.get_array().empty();
    case json::kind::object:
      return v.get_object().empty();
  }
  return false;
}

json::value Encode(const std::string& v, uint8_t) {
  return json::string(v);
}
json::value Encode(bool v, uint8_t) {
  return v;
}
json::value Encode(int32_t v, uint8_t) {
  return int64_t{v};
}
json::value Encode(int64_t v, uint8_t) {
  return v;
}
json::value Encode(const Time& t, uint8_t flags) {
  if (t.IsZero()) return nullptr;
  return json::string((flags & kMicroTime) ? t.ToRfc3339Micro() : t.ToRfc3339());
}
json::value Encode(const Quantity& q, uint8_t) {
  return json::string(q.ToString());
}
json::value Encode(const IntOrString& v, uint8_t) {
  if (v.is_string()) return json::string(v.str_val);
  return int64_t{v.int_val};
}

template <class T>
requires HasSchema<T> json::value Encode(const T& v, uint8_t flags);

template <class T>
json::value Encode(const Shared<T>& v, uint8_t flags) {
  return Encode(*v, flags);
}

template <class T>
json::value Encode(const std::vector<T>& v, uint8_t flags) {
  json::array a;
  a.reserve(v.size());
  for (const T& e : v)
    a.push_back(Encode(e, flags));
  return a;
}

template <class T>
json::value Encode(const std::map<std::string, T>& m, uint8_t flags) {
  json::object o;
  o.reserve(m.size());
  for (const auto& [k, e] : m)
    o.emplace(k, Encode(e, flags));
  return o;
}

template <class M>
void EncodeField(json::object& o, std::string_view name, const M& value, uint8_t flags) {
  json::value j = Encode(value, flags);
  if ((flags & kAlways) || !IsEmpty(j)) o.emplace(name, std::move(j));
}

template <class M>
void EncodeField(json::object& o, std::string_view name, const std::optional<M>& value,
                 uint8_t flags) {
  if (value) o.emplace(name, Encode(*value, flags));
}

// A set optional time is written even at the Unix epoch (which a plain Time
// field treats as unset): deletionTimestamp "1970-01-01T00:00:00Z" reads back.
void EncodeField(json::object& o, std::string_view name, const std::optional<Time>& value,
                 uint8_t flags) {
  if (value) {
    o.emplace(name,
              json::string((flags & kMicroTime) ? value->ToRfc3339Micro() : value->ToRfc3339()));
  }
}

template <class T>
requires HasSchema<T> json::value Encode(const T& v, uint8_t) {
  json::object o;
  std::apply([&](const auto&... f) { (EncodeField(o, f.name, v.*(f.member), f.flags), ...); },
             Schema<T>::kFields);
  return o;
}

template <class T>
json::value EncodeKind(const Object& obj) {
  json::object o;
  const KindInfo& info = InfoOf(T::kKind);
  o.emplace("apiVersion", info.api_version);
  o.emplace("kind", info.name);
  json::value body = Encode(static_cast<const T&>(obj), kOmitEmpty);
  for (auto& kv : body.get_object())
    o.emplace(kv.key(), std::move(kv.value()));
  return o;
}

}  // namespace

std::unique_ptr<Object> DecodeObject(const json::value& v, DecodeContext& ctx) {
  const json::object* o = v.if_object();
  if (!o) {
    ctx.Error("expected a mapping with apiVersion, kind and metadata, got " + Describe(v));
    return nullptr;
  }
  std::optional<Kind> kind;
  const json::value* kv = o->if_contains("kind");
  const json::value* av = o->if_contains("apiVersion");
  const bool untyped = (!kv || kv->is_null()) && (!av || av->is_null());
  size_t mark = ctx.PushKey("kind");
  if (untyped && ctx.default_kind) {
    kind = ctx.default_kind;
  } else if (!kv || kv->is_null()) {
    ctx.Error("required: want one of " + AcceptedKinds());
  } else if (!kv->is_string()) {
    TypeError(*kv, "a string naming one of " + AcceptedKinds(), ctx);
  } else {
    std::string_view name(kv->get_string().data(), kv->get_string().size());
    kind = KindFromName(name);
    if (!kind) {
      ctx.Error("unknown kind \"" + std::string(name) + "\": want one of " + AcceptedKinds());
    }
  }
  ctx.Pop(mark);

  mark = ctx.PushKey("apiVersion");
  std::string want = kind ? std::string(InfoOf(*kind).api_version) : "v1";
  if (untyped && ctx.default_kind) {
    // taken from the URL, as above
  } else if (!av || av->is_null()) {
    ctx.Error("required: want \"" + want + "\"");
  } else if (!av->is_string()) {
    TypeError(*av, "the string \"" + want + "\"", ctx);
  } else if (av->get_string() != want) {
    ctx.Error("unsupported apiVersion \"" + std::string(av->get_string()) + "\"" +
              (kind ? " for kind " + std::string(InfoOf(*kind).name) : "") + ": want \"" + want +
              "\"");
  }
  ctx.Pop(mark);
  if (!kind) return nullptr;

  switch (*kind) {
    case Kind::kPod:
      return DecodeAs<Pod>(v, ctx);
    case Kind::kNode:
      return DecodeAs<Node>(v, ctx);
    case Kind::kReplicationController:
      return DecodeAs<ReplicationController>(v, ctx);
    case Kind::kService:
      return DecodeAs<Service>(v, ctx);
    case Kind::kEndpoints:
      return DecodeAs<Endpoints>(v, ctx);
    case Kind::kEvent:
      return DecodeAs<Event>(v, ctx);
    case Kind::kNamespace:
      return DecodeAs<Namespace>(v, ctx);
  }
  return nullptr;
}

std::string Location(std::string_view source, int line) {
  if (line <= 0) return std::string(source);
  if (source.empty()) return "line " + std::to_string(line);
  return std::string(source) + ":" + std::to_string(line);
}

std::string FormatProblem(std::string_view source, int line, std::string_view path,
                          std::string_view message) {
  std::string out = Location(source, line);
  if (!path.empty()) {
    if (!out.empty()) out += ": ";
    out.append(path);
  }
  if (!out.empty()) out += ": ";
  out.append(message);
  return out;
}

int LineOf(const std::map<std::string, int>& lines, std::string_view path, int fallback) {
  while (!path.empty()) {
    auto it = lines.find(std::string(path));
    if (it != lines.end()) return it->second;
    size_t cut = path.find_last_of(".[");
    if (cut == std::string_view::npos) break;
    path = path.substr(0, cut);
  }
  return fallback;
}

}  // namespace internal

namespace {

namespace json = boost::json;

// Decodes `v` and turns problems into a Status naming `source`.
Result<ObjectPtr> Finish(const json::value& v, const DecodeOptions& options) {
  internal::DecodeContext ctx;
  ctx.strict = options.strict;
  ctx.default_kind = options.default_kind;
  std::unique_ptr<Object> obj = internal::DecodeObject(v, ctx);
  if (options.warnings) {
    for (const std::string& path : ctx.dropped) {
      options.warnings->push_back(
          internal::FormatProblem(options.source, 0, path, "unknown field (dropped)"));
    }
  }
  if (!ctx.errors.empty()) {
    std::string message;
    for (const FieldError& e : ctx.errors) {
      if (!message.empty()) message += '\n';
      message += internal::FormatProblem(options.source, 0, e.path, e.message);
    }
    return InvalidArgument(std::move(message));
  }
  return ObjectPtr(std::move(obj));
}

}  // namespace

Result<ObjectPtr> DecodeJsonValue(const json::value& v, const DecodeOptions& options) {
  return Finish(v, options);
}

namespace {

// A basic_parser handler that only records the path of every key given
// twice in one object (boost::json keeps the last value, as Go does).
class DuplicateKeyFinder {
 public:
  static constexpr size_t max_object_size = size_t(-1);
  static constexpr size_t max_array_size = size_t(-1);
  static constexpr size_t max_key_size = size_t(-1);
  static constexpr size_t max_string_size = size_t(-1);

  std::vector<std::string> duplicates;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    Enter(false);
    return true;
  }
  bool on_object_end(size_t, boost::system::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_array_begin(boost::system::error_code&) {
    Enter(true);
    return true;
  }
  bool on_array_end(size_t, boost::system::error_code&) {
    frames_.pop_back();
    return true;
  }
  bool on_key_part(json::string_view part, size_t, boost::system::error_code&) {
    key_.append(part.data(), part.size());
    return true;
  }
  bool on_key(json::string_view part, size_t, boost::system::error_code&) {
    key_.append(part.data(), part.size());
    Frame& f = frames_.back();
    if (!f.keys.insert(key_).second && duplicates.size() < 100) {
      duplicates.push_back(Path() + key_);
    }
    f.key = std::move(key_);
    key_.clear();
    return true;
  }
  bool on_string_part(json::string_view, size_t, boost::system::error_code&) { return true; }
  bool on_string(json::string_view, size_t, boost::system::error_code&) { return Value(); }
  bool on_number_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(int64_t, json::string_view, boost::system::error_code&) { return Value(); }
  bool on_uint64(uint64_t, json::string_view, boost::system::error_code&) { return Value(); }
  bool on_double(double, json::string_view, boost::system::error_code&) { return Value(); }
  bool on_bool(bool, boost::system::error_code&) { return Value(); }
  bool on_null(boost::system::error_code&) { return Value(); }
  bool on_comment_part(json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(json::string_view, boost::system::error_code&) { return true; }

 private:
  struct Frame {
    bool array = false;
    size_t index = 0;  // of the next array item
    std::string key;   // of the current object member
    std::set<std::string, std::less<>> keys;
  };

  void Enter(bool array) {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    frames_.push_back(Frame{array, 0, {}, {}});
  }
  bool Value() {
    if (!frames_.empty() && frames_.back().array) ++frames_.back().index;
    return true;
  }
  // The path of the object being read, with a trailing '.' when not empty.
  std::string Path() const {
    std::string out;
    for (size_t i = 0; i + 1 < frames_.size(); ++i) {
      const Frame& f = frames_[i];
      if (f.array) {
        out += '[' + std::to_string(f.index - 1) + ']';
      } else {
        if (!out.empty()) out += '.';
        out += f.key;
      }
    }
    if (!out.empty()) out += '.';
    return out;
  }

  std::vector<Frame> frames_;
  std::string key_;
};

std::string WhereInText(std::string_view text, size_t at, const std::string& source) {
  at = std::min(at, text.size());
  int line = 1;
  size_t line_start = 0;
  for (size_t i = 0; i < at; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  std::string where =
      source.empty() ? "line " + std::to_string(line) : source + ":" + std::to_string(line);
  return where + ": malformed JSON at column " + std::to_string(at - line_start + 1);
}

}  // namespace

Result<std::vector<std::string>> FindDuplicateJsonKeys(std::string_view text) {
  json::basic_parser<DuplicateKeyFinder> parser{json::parse_options{}};
  boost::system::error_code ec;
  parser.write_some(false, text.data(), text.size(), ec);
  if (ec) return InvalidArgument("malformed JSON: " + ec.message());
  return std::move(parser.handler().duplicates);
}

Result<ObjectPtr> DecodeJson(std::string_view text, const DecodeOptions& options) {
  json::stream_parser parser;
  boost::system::error_code ec;
  size_t used = parser.write_some(text.data(), text.size(), ec);
  if (!ec) parser.finish(ec);
  if (!ec && used < text.size()) ec = json::error::extra_data;
  if (ec) {
    // boost::json calls ill-formed UTF-8 a syntax error; say what it is.
    const size_t bad = FindInvalidUtf8(text);
    if (bad != std::string_view::npos && bad <= used + 4) {
      return InvalidArgument(WhereInText(text, bad, options.source) +
                             ": the text is not valid UTF-8 (JSON must be UTF-8)");
    }
    return InvalidArgument(WhereInText(text, used, options.source) + ": " + ec.message());
  }
  json::value v = parser.release();
  if (options.strict || options.warnings) {
    // Kubernetes: a field given twice is an error under fieldValidation=Strict
    // and a warning under Warn.
    auto dups = FindDuplicateJsonKeys(text);
    if (dups.ok() && !dups->empty()) {
      std::vector<std::string> problems;
      for (const std::string& path : *dups) {
        problems.push_back(internal::FormatProblem(options.source, 0, path,
                                                   "duplicate field (the last value is used)"));
      }
      if (options.strict) {
        std::string message;
        for (const std::string& p : problems) {
          if (!message.empty()) message += '\n';
          message += p;
        }
        return InvalidArgument(std::move(message));
      }
      for (std::string& p : problems)
        options.warnings->push_back(std::move(p));
    }
  }
  return Finish(v, options);
}

std::string EncodeJson(const Object& obj) {
  std::string out = json::serialize(ToJsonValue(obj));
  // Strings set in-process (a runtime's message, a log line) may hold bytes
  // that are not UTF-8; what is written must read back, so they become
  // U+FFFD, as Go's encoding/json writes them.
  if (!IsValidUtf8(out)) out = CoerceToUtf8(out);
  return out;
}

boost::json::value ToJsonValue(const Object& obj) {
  using internal::EncodeKind;
  switch (obj.kind()) {
    case Kind::kPod:
      return EncodeKind<Pod>(obj);
    case Kind::kNode:
      return EncodeKind<Node>(obj);
    case Kind::kReplicationController:
      return EncodeKind<ReplicationController>(obj);
    case Kind::kService:
      return EncodeKind<Service>(obj);
    case Kind::kEndpoints:
      return EncodeKind<Endpoints>(obj);
    case Kind::kEvent:
      return EncodeKind<Event>(obj);
    case Kind::kNamespace:
      return EncodeKind<Namespace>(obj);
  }
  return nullptr;
}

}  // namespace navarch::api
