#pragma once
// Shared<T>: a copy-on-write holder for a large, rarely changed part of an
// API object (a Pod's spec). Copying a Shared copies a pointer; the value is
// immutable while shared, so every version of a pod that did not change its
// spec (a status write, a heartbeat-driven update) and every pod created
// from one replication controller template use one PodSpec.
//
// Contract:
//  * A Shared always holds a value (a default-constructed one allocates a
//    default T); it is never null.
//  * Reads go through `->`, `*` or `get()` and never copy.
//  * Writes go through `Mutable()`, which first clones the value if any other
//    Shared refers to it (so a write never shows through another holder).
//    References returned by Mutable() are valid until the holder is copied
//    from, assigned to or destroyed; do not keep one across a copy.
//  * Equality compares values (a shared pointer compares equal at once).
//  * Thread safety: as for std::shared_ptr — distinct holders may be used from
//    different threads even when they share a value; one holder is not
//    synchronized.

#include <memory>
#include <utility>

namespace navarch::api {

template <class T>
class Shared {
 public:
  Shared() : ptr_(std::make_shared<T>()) {}
  // Implicit, so that a T can be assigned or aggregate-initialised into a
  // Shared<T> member (`pod.spec = spec;`).
  Shared(T value) : ptr_(std::make_shared<T>(std::move(value))) {}  // NOLINT

  Shared(const Shared&) = default;
  Shared& operator=(const Shared&) = default;
  // Moving copies the pointer too (a moved-from holder still holds its value),
  // so a holder is never null.
  Shared(Shared&& other) noexcept : ptr_(other.ptr_) {}
  Shared& operator=(Shared&& other) noexcept {
    ptr_.swap(other.ptr_);
    return *this;
  }

  const T& operator*() const { return *ptr_; }
  const T* operator->() const { return ptr_.get(); }
  const T& get() const { return *ptr_; }
  operator const T&() const { return *ptr_; }  // NOLINT: read access as a T

  // The value, for writing: cloned first when another holder shares it.
  T& Mutable() {
    if (ptr_.use_count() != 1) ptr_ = std::make_shared<T>(*ptr_);
    return *ptr_;
  }

  // True when this holder and `other` refer to one value (not a copy).
  bool SharesWith(const Shared& other) const { return ptr_ == other.ptr_; }

  friend bool operator==(const Shared& a, const Shared& b) {
    return a.ptr_ == b.ptr_ || *a.ptr_ == *b.ptr_;
  }

 private:
  std::shared_ptr<T> ptr_;
};

}  // namespace navarch::api
