#pragma once
// Helpers shared by the fuzz targets (tests/fuzz/*_fuzz.cpp).
//
// An invariant that does not hold is a finding like any crash: FUZZ_CHECK
// prints what differed to stderr and aborts, so that libFuzzer saves the
// input as a crash-* reproducer (docs/fuzzing.md).

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
