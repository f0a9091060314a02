#include "core/base/yaml.h"

#include <yaml.h>

#include <algorithm>
#include <map>
#include <optional>
#include <unordered_map>

namespace navarch::yaml {
namespace {

const std::string kEmpty;
const std::vector<Node> kNoItems;
const std::vector<std::pair<Node, Node>> kNoEntries;

std::string ByteSize(size_t n) {
  if (n >= 1024 * 1024 && n % (1024 * 1024) == 0) return std::to_string(n / (1024 * 1024)) + " MiB";
  return std::to_string(n) + " bytes";
}

bool IsNullText(std::string_view s) {
  return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL";
}

size_t SaturatingAdd(size_t a, size_t b) {
  return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

std::string_view Text(const yaml_char_t* s) {
  return s ? std::string_view(reinterpret_cast<const char*>(s)) : std::string_view();
}

// Owns one libyaml parser and one event at a time.
class EventReader {
 public:
  explicit EventReader(std::string_view text) : text_(text) {
    yaml_parser_initialize(&parser_);
    static const char kNothing[] = "";
    const char* data = text.empty() ? kNothing : text.data();
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(data),
                                 text.size());
  }
  ~EventReader() {
    if (have_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The next event, or nullptr with `error` set.
  const yaml_event_t* Next(Error& error) {
    if (have_event_) {
      yaml_event_delete(&event_);
      have_event_ = false;
    }
    if (!yaml_parser_parse(&parser_, &event_)) {
      error.line = static_cast<int>(parser_.problem_mark.line) + 1;
      error.column = static_cast<int>(parser_.problem_mark.column) + 1;
      std::string what = parser_.problem ? parser_.problem : "malformed YAML";
      if (parser_.context) what += std::string(" (") + parser_.context + ")";
      if (parser_.error == YAML_READER_ERROR) {
        // The reader reports a byte offset, not a mark.
        const size_t at = std::min(parser_.problem_offset, text_.size());
        const size_t line_start = text_.rfind('\n', at == 0 ? 0 : at - 1);
        error.line = 1 + static_cast<int>(std::count(text_.begin(), text_.begin() + at, '\n'));
        error.column =
            static_cast<int>(
                at - (line_start == std::string_view::npos || at == 0 ? 0 : line_start + 1)) +
            1;
        what = "not valid UTF-8 text or a forbidden control character (" + what + " at byte " +
               std::to_string(at) + "); YAML must be UTF-8 text";
      }
      error.message = std::move(what);
      return nullptr;
    }
    have_event_ = true;
    return &event_;
  }

 private:
  std::string_view text_;
  yaml_parser_t parser_;
  yaml_event_t event_;
  bool have_event_ = false;
};

}  // namespace

// Builds trees from the parser's events, enforcing the limits.
class TreeBuilder {
 public:
  TreeBuilder(std::string_view text, const Limits& limits) : text_(text), limits_(limits) {}

  Loaded Run();
  static Node NullNode(Mark at) {
    auto d = std::make_shared<NodeData>();
    d->mark = at;
    d->tag = "?";
    return Node(std::move(d));
  }

 private:
  struct Frame {
    std::shared_ptr<NodeData> node;
    std::string anchor;
    std::optional<Node> key;                            // a mapping's key waiting for its value
    std::map<std::string, int, std::less<>> key_lines;  // a mapping's keys
    bool has_merge = false;
  };

  bool Fail(Mark at, std::string message);
  Mark MarkOf(const yaml_mark_t& m) const {
    return Mark{static_cast<int>(m.line), static_cast<int>(m.column)};
  }
  std::string PathHere() const;
  std::string TagOf(const yaml_char_t* tag, bool plain_untagged) const;
  bool Count(size_t nodes, size_t bytes, Mark at);
  bool Attach(Node node, const std::string& anchor);
  bool OnScalar(const yaml_event_t& e);
  bool OnAlias(const yaml_event_t& e);
  bool OnStart(const yaml_event_t& e, NodeType type);
  bool OnEnd();
  bool ApplyMerges(NodeData& map);

  std::string_view text_;
  const Limits& limits_;
  Loaded out_;
  std::vector<Frame> stack_;
  std::optional<Node> document_;
  std::unordered_map<std::string, Node> anchors_;
  size_t nodes_ = 0;
  size_t bytes_ = 0;
};

bool TreeBuilder::Fail(Mark at, std::string message) {
  out_.ok = false;
  out_.documents.clear();
  out_.error.line = at.line >= 0 ? at.line + 1 : 0;
  out_.error.column = at.column >= 0 ? at.column + 1 : 0;
  out_.error.path = PathHere();
  out_.error.message = std::move(message);
  return false;
}

std::string TreeBuilder::PathHere() const {
  std::string path;
  for (const Frame& f : stack_) {
    if (f.node->type == NodeType::kSequence) {
      path += '[' + std::to_string(f.node->items.size()) + ']';
    } else if (f.key) {
      if (!path.empty()) path += '.';
      path += f.key->IsScalar() ? f.key->scalar() : std::string("<key>");
    }
  }
  return path;
}

std::string TreeBuilder::TagOf(const yaml_char_t* tag, bool plain_untagged) const {
  if (tag) return std::string(Text(tag));
  return plain_untagged ? "?" : "!";
}

bool TreeBuilder::Count(size_t nodes, size_t bytes, Mark at) {
  nodes_ = SaturatingAdd(nodes_, nodes);
  bytes_ = SaturatingAdd(bytes_, bytes);
  if (nodes_ > limits_.max_nodes) {
    return Fail(at, "the YAML expands to more than " + std::to_string(limits_.max_nodes) +
                        " nodes (aliases count as the node they name); split the input or use "
                        "fewer aliases");
  }
  if (bytes_ > limits_.max_scalar_bytes) {
    return Fail(at, "the YAML expands to more than " + ByteSize(limits_.max_scalar_bytes) +
                        " of scalar text (aliases count as the node they name); split the "
                        "input or use fewer aliases");
  }
  return true;
}

bool TreeBuilder::Attach(Node node, const std::string& anchor) {
  if (!anchor.empty()) anchors_[anchor] = node;
  if (stack_.empty()) {
    document_ = std::move(node);
    return true;
  }
  Frame& top = stack_.back();
  NodeData& parent = *top.node;
  parent.weight = SaturatingAdd(parent.weight, node.d_->weight);
  parent.bytes = SaturatingAdd(parent.bytes, node.d_->bytes);
  parent.height = std::max(parent.height, node.d_->height + 1);
  if (parent.type == NodeType::kSequence) {
    parent.items.push_back(std::move(node));
    return true;
  }
  if (!top.key) {
    if (node.IsScalar()) {
      auto [it, added] = top.key_lines.emplace(node.scalar(), node.line());
      if (!added) {
        const Mark at = node.mark();
        const std::string first = std::to_string(it->second);
        top.key = node;  // names the key in the path
        return Fail(at, "duplicate key \"" + node.scalar() + "\" (first given at line " + first +
                            ", again at line " + std::to_string(at.line + 1) + ")");
      }
      if (node.plain() && node.tag() == "?" && node.scalar() == "<<") top.has_merge = true;
    }
    top.key = std::move(node);
    return true;
  }
  parent.entries.emplace_back(std::move(*top.key), std::move(node));
  top.key.reset();
  return true;
}

bool TreeBuilder::OnScalar(const yaml_event_t& e) {
  const auto& s = e.data.scalar;
  auto d = std::make_shared<NodeData>();
  d->mark = MarkOf(e.start_mark);
  d->plain = s.style == YAML_PLAIN_SCALAR_STYLE;
  d->tag = TagOf(s.tag, d->plain);
  d->scalar.assign(reinterpret_cast<const char*>(s.value), s.length);
  d->type = d->plain && !s.tag && IsNullText(d->scalar) ? NodeType::kNull : NodeType::kScalar;
  d->bytes = s.length;
  if (!Count(1, s.length, d->mark)) return false;
  return Attach(Node(std::move(d)), std::string(Text(s.anchor)));
}

bool TreeBuilder::OnAlias(const yaml_event_t& e) {
  const std::string_view name = Text(e.data.alias.anchor);
  const Mark at = MarkOf(e.start_mark);
  for (const Frame& f : stack_) {
    if (f.anchor == name) {
      return Fail(at, "alias *" + std::string(name) +
                          " refers to a node that contains it; recursive structures are not "
                          "supported");
    }
  }
  auto it = anchors_.find(std::string(name));
  if (it == anchors_.end()) {
    return Fail(at, "alias *" + std::string(name) +
                        " refers to no anchor defined before it in this document (define "
                        "&" +
                        std::string(name) + " first)");
  }
  const Node target = it->second;
  if (static_cast<int>(stack_.size()) + target.d_->height > limits_.max_depth) {
    return Fail(at, "alias *" + std::string(name) + " nests deeper than " +
                        std::to_string(limits_.max_depth) + " levels");
  }
  if (!Count(target.d_->weight, target.d_->bytes, at)) return false;
  return Attach(target, "");
}

bool TreeBuilder::OnStart(const yaml_event_t& e, NodeType type) {
  const Mark at = MarkOf(e.start_mark);
  if (static_cast<int>(stack_.size()) + 1 > limits_.max_depth) {
    return Fail(at, "nesting deeper than " + std::to_string(limits_.max_depth) +
                        " levels of mappings and lists");
  }
  if (!Count(1, 0, at)) return false;
  const bool seq = type == NodeType::kSequence;
  const yaml_char_t* tag = seq ? e.data.sequence_start.tag : e.data.mapping_start.tag;
  const yaml_char_t* anchor = seq ? e.data.sequence_start.anchor : e.data.mapping_start.anchor;
  Frame f;
  f.node = std::make_shared<NodeData>();
  f.node->type = type;
  f.node->mark = at;
  f.node->tag = TagOf(tag, true);
  f.anchor = std::string(Text(anchor));
  stack_.push_back(std::move(f));
  return true;
}

// Replaces the `<<` entries of `map` by the entries of the mappings they
// name, keeping every key written in `map` itself.
bool TreeBuilder::ApplyMerges(NodeData& map) {
  std::vector<std::pair<Node, Node>> explicit_entries;
  std::map<std::string, bool, std::less<>> present;
  for (auto& kv : map.entries) {
    const bool merge = kv.first.plain() && kv.first.tag() == "?" && kv.first.scalar() == "<<";
    if (!merge && kv.first.IsScalar()) present.emplace(kv.first.scalar(), true);
  }
  std::vector<std::pair<Node, Node>> out;
  out.reserve(map.entries.size());
  for (auto& kv : map.entries) {
    const bool merge = kv.first.plain() && kv.first.tag() == "?" && kv.first.scalar() == "<<";
    if (!merge) {
      out.push_back(std::move(kv));
      continue;
    }
    std::vector<Node> sources;
    if (kv.second.IsMap()) {
      sources.push_back(kv.second);
    } else if (kv.second.IsSequence()) {
      sources = kv.second.items();
    }
    if (sources.empty() && !kv.second.IsSequence()) {
      return Fail(kv.second.mark(),
                  "a merge key (<<) takes a mapping or a list of mappings, such as <<: *base");
    }
    for (const Node& src : sources) {
      if (!src.IsMap()) {
        return Fail(src.mark(), "a merge key (<<) takes a mapping or a list of mappings");
      }
      for (const auto& [k, v] : src.entries()) {
        if (!k.IsScalar()) continue;
        if (present.emplace(k.scalar(), true).second) out.emplace_back(k, v);
      }
    }
  }
  map.entries = std::move(out);
  return true;
}

bool TreeBuilder::OnEnd() {
  Frame f = std::move(stack_.back());
  stack_.pop_back();
  if (f.has_merge) {
    stack_.push_back(std::move(f));  // keeps the path for errors
    if (!ApplyMerges(*stack_.back().node)) return false;
    f = std::move(stack_.back());
    stack_.pop_back();
  }
  return Attach(Node(std::move(f.node)), f.anchor);
}

Loaded TreeBuilder::Run() {
  if (text_.size() > limits_.max_input_bytes) {
    Fail(Mark{}, "the YAML input is " + std::to_string(text_.size()) +
                     " bytes, more than the limit of " + ByteSize(limits_.max_input_bytes));
    return std::move(out_);
  }
  EventReader reader(text_);
  for (;;) {
    const yaml_event_t* e = reader.Next(out_.error);
    if (!e) {
      out_.ok = false;
      out_.documents.clear();
      out_.error.path = PathHere();
      return std::move(out_);
    }
    bool ok = true;
    switch (e->type) {
      case YAML_STREAM_START_EVENT:
      case YAML_NO_EVENT:
        break;
      case YAML_STREAM_END_EVENT:
        return std::move(out_);
      case YAML_DOCUMENT_START_EVENT:
        if (out_.documents.size() >= limits_.max_documents) {
          ok = Fail(MarkOf(e->start_mark), "more than " + std::to_string(limits_.max_documents) +
                                               " YAML documents; split the input");
        }
        anchors_.clear();
        document_.reset();
        break;
      case YAML_DOCUMENT_END_EVENT:
        if (document_) {
          out_.documents.push_back(std::move(*document_));
        } else {
          out_.documents.push_back(NullNode(MarkOf(e->start_mark)));
        }
        document_.reset();
        break;
      case YAML_ALIAS_EVENT:
        ok = OnAlias(*e);
        break;
      case YAML_SCALAR_EVENT:
        ok = OnScalar(*e);
        break;
      case YAML_SEQUENCE_START_EVENT:
        ok = OnStart(*e, NodeType::kSequence);
        break;
      case YAML_MAPPING_START_EVENT:
        ok = OnStart(*e, NodeType::kMap);
        break;
      case YAML_SEQUENCE_END_EVENT:
      case YAML_MAPPING_END_EVENT:
        ok = OnEnd();
        break;
    }
    if (!ok) return std::move(out_);
  }
}

NodeType Node::type() const {
  return d_ ? d_->type : NodeType::kUndefined;
}
const std::string& Node::scalar() const {
  return d_ && d_->type == NodeType::kScalar ? d_->scalar : kEmpty;
}
const std::string& Node::tag() const {
  return d_ ? d_->tag : kEmpty;
}
bool Node::plain() const {
  return d_ && d_->plain;
}
Mark Node::mark() const {
  return d_ ? d_->mark : Mark{};
}
int Node::line() const {
  return d_ && d_->mark.line >= 0 ? d_->mark.line + 1 : 0;
}
size_t Node::size() const {
  if (!d_) return 0;
  return d_->type == NodeType::kSequence ? d_->items.size()
         : d_->type == NodeType::kMap    ? d_->entries.size()
                                         : 0;
}
const std::vector<Node>& Node::items() const {
  return d_ && d_->type == NodeType::kSequence ? d_->items : kNoItems;
}
const std::vector<std::pair<Node, Node>>& Node::entries() const {
  return d_ && d_->type == NodeType::kMap ? d_->entries : kNoEntries;
}
Node Node::operator[](size_t i) const {
  const std::vector<Node>& v = items();
  return i < v.size() ? v[i] : Node();
}
Node Node::Find(std::string_view key) const {
  for (const auto& [k, v] : entries()) {
    if (k.IsScalar() && k.scalar() == key) return v;
  }
  return Node();
}

std::string Error::ToString() const {
  std::string out;
  if (line > 0) {
    out = "line " + std::to_string(line);
    if (column > 0) out += ", column " + std::to_string(column);
    out += ": ";
  }
  if (!path.empty()) out += path + ": ";
  return out + message;
}

Loaded LoadAll(std::string_view text, const Limits& limits) {
  return TreeBuilder(text, limits).Run();
}

Loaded Load(std::string_view text, const Limits& limits) {
  Loaded all = LoadAll(text, limits);
  if (!all.ok) return all;
  if (all.documents.size() > 1) {
    Loaded out;
    out.ok = false;
    out.error.line = all.documents[1].line();
    out.error.message = "a second YAML document (after ---); one document is expected here";
    return out;
  }
  if (all.documents.empty()) all.documents.push_back(TreeBuilder::NullNode(Mark{0, 0}));
  return all;
}

}  // namespace navarch::yaml
