#pragma once
// Helpers shared by the fuzz targets (tests/fuzz/*_fuzz.cpp).
//
// An invariant that does not hold is a finding like any crash: FUZZ_CHECK
// prints what differed to stderr and aborts, so that libFuzzer saves the
// input as a crash-* reproducer (docs/fuzzing.md).

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace navarch::fuzz {

[[noreturn]] inline void Fail(const char* file, int line, const char* what, std::string_view a,
                              std::string_view b) {
  std::fprintf(stderr, "%s:%d: invariant failed: %s\n", file, line, what);
  if (!a.empty() || !b.empty()) {
    std::fprintf(stderr, "  first:  %.*s\n  second: %.*s\n", static_cast<int>(a.size()), a.data(),
                 static_cast<int>(b.size()), b.data());
  }
  std::abort();
}

// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code
// points above U+10FFFF).
inline bool IsUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    int n = 0;
    uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size()) return false;  // truncated sequence
    for (int k = 1; k <= n; ++k) {
      const unsigned char d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    static constexpr uint32_t kMin[] = {0, 0x80, 0x800, 0x10000};
    if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n + 1;
  }
  return true;
}

// The decoders do not validate strings as UTF-8 yet, so a decoded object
// may hold invalid UTF-8 that no JSON encoding carries; the round-trip
// checks skip such objects. NAVARCH_FUZZ_UTF8=1 in the environment checks
// them too (once strings are validated, nothing is skipped).
inline bool SkipInvalidUtf8(std::string_view encoded) {
  static const bool strict = [] {
    const char* v = std::getenv("NAVARCH_FUZZ_UTF8");
    return v != nullptr && std::string_view(v) == "1";
  }();
  return !strict && !IsUtf8(encoded);
}

}  // namespace navarch::fuzz

// Aborts when `cond` is false.
#define FUZZ_CHECK(cond)                                                   \
  do {                                                                     \
    if (!(cond)) ::navarch::fuzz::Fail(__FILE__, __LINE__, #cond, {}, {}); \
  } while (0)

// Aborts when the two strings differ, printing both.
#define FUZZ_CHECK_EQ(a, b)                                                      \
  do {                                                                           \
    const auto& fuzz_a_ = (a);                                                   \
    const auto& fuzz_b_ = (b);                                                   \
    if (!(fuzz_a_ == fuzz_b_))                                                   \
      ::navarch::fuzz::Fail(__FILE__, __LINE__, #a " == " #b, fuzz_a_, fuzz_b_); \
  } while (0)

// Aborts when the Status or Result `r` is not ok, printing its message.
#define FUZZ_CHECK_OK(r)                                                                  \
  do {                                                                                    \
    if (!(r).ok())                                                                        \
      ::navarch::fuzz::Fail(__FILE__, __LINE__, #r " is ok", (r).status().message(), {}); \
  } while (0)
