#include "core/base/time.h"

#include <charconv>
#include <cstdint>
#include <cstdio>

namespace navarch {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

std::string FormatCivil(int64_t ns, bool micro) {
  int64_t secs = ns / 1'000'000'000;
  int64_t rem = ns % 1'000'000'000;
  if (rem < 0) {
    rem += 1'000'000'000;
    --secs;
  }
  int64_t day = secs / 86400;
  int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --day;
  }
  year_month_day ymd{sys_days{days{day}}};
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02u-%02uT%02d:%02d:%02d", int(ymd.year()),
                        unsigned(ymd.month()), unsigned(ymd.day()), int(sod / 3600),
                        int(sod / 60 % 60), int(sod % 60));
  std::string out(buf, n);
  if (micro) {
    std::snprintf(buf, sizeof buf, ".%06d", int(rem / 1000));
    out += buf;
  }
  out += 'Z';
  return out;
}

// Exactly `len` decimal digits at `pos` (no sign).
bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  auto [p, ec] = std::from_chars(s.data() + pos, s.data() + pos + len, out);
  return ec == std::errc() && p == s.data() + pos + len;
}

constexpr const char* kMinTimeText = "1677-09-21T00:12:45Z";
constexpr const char* kMaxTimeText = "2262-04-11T23:47:15Z";

}  // namespace

std::string Time::ToRfc3339() const {
  return FormatCivil(ns_, false);
}
std::string Time::ToRfc3339Micro() const {
  return FormatCivil(ns_, true);
}

Result<Time> Time::ParseRfc3339(std::string_view s) {
  auto bad = [&] {
    return InvalidArgument("invalid timestamp \"" + std::string(s) +
                           "\": want RFC 3339, e.g. 2026-01-02T15:04:05Z");
  };
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't') ||
      s[13] != ':' || s[16] != ':' || !ReadInt(s, 0, 4, y) || !ReadInt(s, 5, 2, mo) ||
      !ReadInt(s, 8, 2, d) || !ReadInt(s, 11, 2, h) || !ReadInt(s, 14, 2, mi) ||
      !ReadInt(s, 17, 2, se)) {
    return bad();
  }
  year_month_day ymd{std::chrono::year{y}, std::chrono::month{unsigned(mo)},
                     std::chrono::day{unsigned(d)}};
  if (!ymd.ok() || h > 23 || mi > 59 || se > 60) return bad();
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) frac_ns = frac_ns * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return bad();
    for (int i = digits; i < 9; ++i)
      frac_ns *= 10;
  }
  int64_t offset = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (pos + 6 != s.size() || s[pos + 3] != ':' || !ReadInt(s, pos + 1, 2, oh) ||
        !ReadInt(s, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad();
    }
    offset = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return bad();
  }
  if (pos != s.size()) return bad();
  int64_t day = sys_days{ymd}.time_since_epoch().count();
  int64_t secs = day * 86400 + h * 3600 + mi * 60 + se - offset;
  // A Time is int64 nanoseconds since 1970: about 1677-09-21 to 2262-04-11.
  constexpr int64_t kMaxSecs = INT64_MAX / 1'000'000'000 - 1;
  if (secs < -kMaxSecs || secs > kMaxSecs) {
    return InvalidArgument("timestamp \"" + std::string(s) + "\" is out of range: times from " +
                           kMinTimeText + " to " + kMaxTimeText + " are supported");
  }
  return Time::FromUnixNanos(secs * 1'000'000'000 + frac_ns);
}

std::string FormatDuration(Duration d) {
  int64_t ns = d.count();
  std::string sign;
  if (ns < 0) {
    sign = "-";
    ns = -ns;
  }
  char buf[64];
  if (ns == 0) return "0s";
  if (ns < 1'000) return sign + std::to_string(ns) + "ns";
  if (ns < 1'000'000) {
    std::snprintf(buf, sizeof buf, "%gus", double(ns) / 1e3);
    return sign + buf;
  }
  if (ns < 1'000'000'000) {
    std::snprintf(buf, sizeof buf, "%gms", double(ns) / 1e6);
    return sign + buf;
  }
  int64_t total_ms = ns / 1'000'000;
  int64_t h = total_ms / 3'600'000;
  int64_t m = total_ms / 60'000 % 60;
  double s = double(total_ms % 60'000) / 1e3;
  std::string out = sign;
  if (h) out += std::to_string(h) + "h";
  if (h || m) out += std::to_string(m) + "m";
  std::snprintf(buf, sizeof buf, "%gs", s);
  out += buf;
  return out;
}

Result<Duration> ParseDuration(std::string_view text) {
  auto bad = [&](std::string_view why) {
    return InvalidArgument("invalid duration \"" + std::string(text) + "\": " + std::string(why) +
                           " (examples: 500ms, 1.5s, 2m30s, 1h)");
  };
  std::string_view s = text;
  bool neg = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return Duration(0);
  if (s.empty()) return bad("empty");
  long double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && ((s[i] >= '0' && s[i] <= '9') || s[i] == '.'))
      ++i;
    if (i == 0) return bad("expected a number");
    long double v = 0;
    {
      std::string num(s.substr(0, i));
      char* end = nullptr;
      v = std::strtold(num.c_str(), &end);
      if (end != num.c_str() + num.size()) return bad("malformed number");
    }
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !((s[j] >= '0' && s[j] <= '9') || s[j] == '.'))
      ++j;
    std::string_view unit = s.substr(0, j);
    s.remove_prefix(j);
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else if (unit.empty())
      return bad("missing unit");
    else
      return bad("unknown unit \"" + std::string(unit) + "\"");
    total += v * scale;
  }
  if (total > 9.2e18L) return bad("too large");
  auto ns = static_cast<int64_t>(total + 0.5L);
  return Duration(neg ? -ns : ns);
}

}  // namespace navarch
