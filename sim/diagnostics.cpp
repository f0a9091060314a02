#include "sim/diagnostics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace navarch::sim {

void Diagnostics::Error(int line, std::string_view path, std::string_view message) {
  std::string out = source_;
  if (line > 0) {
    out += out.empty() ? "line " : ":";
    out += std::to_string(line);
  }
  if (!out.empty()) out += ": ";
  if (!path.empty()) {
    out.append(path);
    out += ": ";
  }
  out.append(message);
  problems_.push_back(std::move(out));
  keys_.push_back(Key{source_, line});
}

void Diagnostics::Error(const yaml::Node& at, std::string_view path, std::string_view message) {
  Error(LineOf(at), path, message);
}

void Diagnostics::AddFormatted(std::string_view lines) {
  while (!lines.empty()) {
    size_t nl = lines.find('\n');
    std::string_view line = lines.substr(0, nl);
    if (!line.empty()) {
      // "<file>:<line>: ..." when the line starts with a location.
      Key key;
      const size_t colon = line.find(':');
      if (colon != std::string_view::npos) {
        const size_t end = line.find(':', colon + 1);
        int number = 0;
        auto [ptr, ec] = std::from_chars(
            line.data() + colon + 1,
            line.data() + (end == std::string_view::npos ? colon + 1 : end), number);
        if (ec == std::errc() && end != std::string_view::npos && ptr == line.data() + end) {
          key.file = std::string(line.substr(0, colon));
          key.line = number;
        }
      }
      problems_.emplace_back(line);
      keys_.push_back(std::move(key));
    }
    if (nl == std::string_view::npos) break;
    lines.remove_prefix(nl + 1);
  }
}

Status Diagnostics::ToStatus() const {
  if (problems_.empty()) return Status::Ok();
  std::vector<size_t> order(problems_.size());
  for (size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [this](size_t a, size_t b) {
    const Key& ka = keys_[a];
    const Key& kb = keys_[b];
    const bool main_a = ka.file == source_, main_b = kb.file == source_;
    if (main_a != main_b) return main_a;
    if (ka.file != kb.file) return ka.file < kb.file;
    return ka.line < kb.line;
  });
  std::string message;
  for (size_t i : order) {
    if (!message.empty()) message += '\n';
    message += problems_[i];
  }
  return InvalidArgument(std::move(message));
}

int LineOf(const yaml::Node& node) {
  if (!node.IsDefined()) return 0;
  const yaml::Mark mark = node.mark();
  return mark.line >= 0 ? mark.line + 1 : 0;
}

std::string JoinPath(std::string_view parent, std::string_view key) {
  std::string out(parent);
  if (!out.empty()) out += '.';
  out.append(key);
  return out;
}

std::string IndexPath(std::string_view parent, size_t index) {
  std::string out(parent);
  out += '[';
  out += std::to_string(index);
  out += ']';
  return out;
}

namespace {

bool IsScalar(const yaml::Node& node, std::string_view path, std::string_view what,
              Diagnostics& diag) {
  if (node.IsScalar()) return true;
  diag.Error(node, path, "expected " + std::string(what));
  return false;
}

}  // namespace

std::optional<std::string> ReadString(const yaml::Node& node, std::string_view path,
                                      Diagnostics& diag) {
  if (!IsScalar(node, path, "a string", diag)) return std::nullopt;
  return node.scalar();
}

std::optional<int64_t> ReadInt(const yaml::Node& node, std::string_view path, Diagnostics& diag,
                               int64_t min, int64_t max) {
  if (!IsScalar(node, path, "an integer", diag)) return std::nullopt;
  const std::string& text = node.scalar();
  int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
    diag.Error(node, path, "expected an integer, got \"" + text + "\"");
    return std::nullopt;
  }
  if (value < min || value > max) {
    diag.Error(node, path,
               "value " + text + " is out of range; use " + std::to_string(min) + " to " +
                   std::to_string(max));
    return std::nullopt;
  }
  return value;
}

std::optional<double> ReadDouble(const yaml::Node& node, std::string_view path, Diagnostics& diag) {
  if (!IsScalar(node, path, "a number", diag)) return std::nullopt;
  const std::string& text = node.scalar();
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || text.empty() ||
      !std::isfinite(value)) {
    diag.Error(node, path, "expected a number, got \"" + text + "\"");
    return std::nullopt;
  }
  return value;
}

std::optional<bool> ReadBool(const yaml::Node& node, std::string_view path, Diagnostics& diag) {
  if (!IsScalar(node, path, "true or false", diag)) return std::nullopt;
  const std::string& text = node.scalar();
  if (text == "true") return true;
  if (text == "false") return false;
  diag.Error(node, path, "expected true or false, got \"" + text + "\"");
  return std::nullopt;
}

std::optional<Duration> ReadDuration(const yaml::Node& node, std::string_view path,
                                     Diagnostics& diag) {
  if (!IsScalar(node, path, "a duration such as 30s, 1m30s or 250ms", diag)) return std::nullopt;
  const std::string& text = node.scalar();
  Result<Duration> d = ParseDuration(text);
  if (!d.ok()) {
    diag.Error(node, path,
               "invalid duration \"" + text + "\"; write it like 30s, 1m30s, 250ms or 2h");
    return std::nullopt;
  }
  if (d->count() < 0) {
    diag.Error(node, path, "duration \"" + text + "\" must not be negative");
    return std::nullopt;
  }
  return *d;
}

std::optional<double> ReadProbability(const yaml::Node& node, std::string_view path,
                                      Diagnostics& diag) {
  std::optional<double> p = ReadDouble(node, path, diag);
  if (!p) return std::nullopt;
  if (*p < 0 || *p > 1) {
    diag.Error(node, path, "a probability must be between 0 and 1, got " + node.scalar());
    return std::nullopt;
  }
  return p;
}

std::optional<std::vector<std::string>> ReadStringList(const yaml::Node& node,
                                                       std::string_view path, Diagnostics& diag) {
  if (!node.IsSequence()) {
    diag.Error(node, path, "expected a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    std::optional<std::string> s = ReadString(node[i], IndexPath(path, i), diag);
    if (s) {
      out.push_back(std::move(*s));
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

std::optional<std::map<std::string, std::string>> ReadStringMap(const yaml::Node& node,
                                                                std::string_view path,
                                                                Diagnostics& diag) {
  if (!node.IsMap()) {
    diag.Error(node, path, "expected a mapping of strings to strings");
    return std::nullopt;
  }
  std::map<std::string, std::string> out;
  bool ok = true;
  for (auto it = node.entries().begin(); it != node.entries().end(); ++it) {
    std::string key = it->first.scalar();
    std::optional<std::string> value = ReadString(it->second, JoinPath(path, key), diag);
    if (value) {
      out[key] = std::move(*value);
    } else {
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return out;
}

YamlMap::YamlMap(const yaml::Node& node, std::string path, Diagnostics& diag)
    : node_(node), path_(std::move(path)), diag_(diag) {
  if (!node.IsDefined() || node.IsNull()) return;
  if (!node.IsMap()) {
    diag.Error(node, path_, "expected a mapping (key: value lines)");
    return;
  }
  valid_ = true;
}

yaml::Node YamlMap::Get(std::string_view key) {
  accepted_.emplace_back(key);
  if (!valid_) return yaml::Node();
  for (auto it = node_.entries().begin(); it != node_.entries().end(); ++it) {
    if (it->first.IsScalar() && it->first.scalar() == key) return it->second;
  }
  return yaml::Node();
}

bool YamlMap::Has(std::string_view key) const {
  if (!valid_) return false;
  for (auto it = node_.entries().begin(); it != node_.entries().end(); ++it) {
    if (it->first.IsScalar() && it->first.scalar() == key) return true;
  }
  return false;
}

yaml::Node YamlMap::Require(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined() && valid_) diag_.Error(node_, PathOf(key), "required field is missing");
  return n;
}

std::optional<std::string> YamlMap::String(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadString(n, PathOf(key), diag_);
}

std::optional<int64_t> YamlMap::Int(std::string_view key, int64_t min, int64_t max) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadInt(n, PathOf(key), diag_, min, max);
}

std::optional<double> YamlMap::Double(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadDouble(n, PathOf(key), diag_);
}

std::optional<bool> YamlMap::Bool(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadBool(n, PathOf(key), diag_);
}

std::optional<Duration> YamlMap::DurationField(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadDuration(n, PathOf(key), diag_);
}

std::optional<double> YamlMap::Probability(std::string_view key) {
  yaml::Node n = Get(key);
  if (!n.IsDefined()) return std::nullopt;
  return ReadProbability(n, PathOf(key), diag_);
}

std::vector<std::string> YamlMap::Keys() const {
  std::vector<std::string> out;
  if (!valid_) return out;
  for (auto it = node_.entries().begin(); it != node_.entries().end(); ++it)
    out.push_back(it->first.scalar());
  return out;
}

void YamlMap::Finish() {
  if (!valid_) return;
  std::vector<std::string> known = accepted_;
  std::sort(known.begin(), known.end());
  known.erase(std::unique(known.begin(), known.end()), known.end());
  for (auto it = node_.entries().begin(); it != node_.entries().end(); ++it) {
    const std::string key = it->first.IsScalar() ? it->first.scalar() : std::string("?");
    if (std::binary_search(known.begin(), known.end(), key)) continue;
    std::string list;
    for (const std::string& k : known) {
      if (!list.empty()) list += ", ";
      list += k;
    }
    diag_.Error(it->first, PathOf(key), "unknown field (accepted: " + list + ")");
  }
}

}  // namespace navarch::sim
