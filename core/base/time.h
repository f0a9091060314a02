#pragma once
// Strong time types. `Duration` is std::chrono::nanoseconds; `Time` is an
// instant counted in nanoseconds since the Unix epoch. Neither reads a clock:
// the current time always comes from a `Clock` (core/runtime/clock.h), which
// in the simulator is virtual.

#include <chrono>
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/base/status.h"

namespace navarch {

using Duration = std::chrono::nanoseconds;
using std::chrono::hours;
using std::chrono::microseconds;
using std::chrono::milliseconds;
using std::chrono::minutes;
using std::chrono::seconds;

class Time {
 public:
  constexpr Time() = default;  // the Unix epoch; also "unset" for timestamps
  static constexpr Time FromUnixNanos(int64_t ns) { return Time(ns); }
  static constexpr Time FromUnixSeconds(int64_t s) { return Time(s * 1'000'000'000); }

  constexpr int64_t UnixNanos() const { return ns_; }
  constexpr int64_t UnixSeconds() const { return ns_ / 1'000'000'000; }
  constexpr bool IsZero() const { return ns_ == 0; }

  constexpr Time operator+(Duration d) const { return Time(ns_ + d.count()); }
  constexpr Time operator-(Duration d) const { return Time(ns_ - d.count()); }
  constexpr Time& operator+=(Duration d) { return ns_ += d.count(), *this; }
  constexpr Duration operator-(Time o) const { return Duration(ns_ - o.ns_); }
  constexpr auto operator<=>(const Time&) const = default;

  // RFC 3339 in UTC with second precision ("2026-11-25T07:43:52Z"), the
  // format of Kubernetes' metav1.Time.
  std::string ToRfc3339() const;
  // RFC 3339 with microseconds ("...T07:43:52.123456Z"), metav1.MicroTime.
  std::string ToRfc3339Micro() const;
  // Parses RFC 3339 ("Z" or "+hh:mm" offsets, optional fraction).
  static Result<Time> ParseRfc3339(std::string_view text);

 private:
  constexpr explicit Time(int64_t ns) : ns_(ns) {}
  int64_t ns_ = 0;
};

// "1.5s", "250ms", "3m20s", "2h" — for logs and reports.
std::string FormatDuration(Duration d);
// Parses Go-style durations: "300ms", "1.5s", "2m30s", "1h", "10us", "0".
Result<Duration> ParseDuration(std::string_view text);

}  // namespace navarch
