#pragma once
// ZeroedArray<T>: a resizable array of a trivially copyable T whose new
// elements are all-zero bytes, backed (from 16 KiB) by anonymous memory
// mappings, so that pages never written are never touched: the operating
// system supplies them zero-filled on first access.
//
// Why: the Decider keeps one array per pod class and column with one entry
// per node. With node sampling a class only ever visits a window of the
// cluster; value-initialising a std::vector of 100,000 entries would write
// (and fault in) every page for every class. Here a class pays only for the
// pages of the nodes it visits.
//
// Contract:
//  * resize(n) keeps the first min(size(), n) elements; elements added by a
//    resize read as zero (also after an earlier shrink).
//  * Growing past the capacity moves the contents to a new mapping of
//    at least 1.5x the capacity (pointers from data() are invalidated, as
//    for std::vector); shrinking never releases memory.
//  * Move-only. Allocation failure throws std::bad_alloc, as a vector would.

#include <sys/mman.h>

#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace navarch::scheduler {

template <class T>
class ZeroedArray {
  static_assert(std::is_trivially_copyable_v<T>, "ZeroedArray holds trivially copyable values");

 public:
  ZeroedArray() = default;
  ~ZeroedArray() { Release(); }
  ZeroedArray(const ZeroedArray&) = delete;
  ZeroedArray& operator=(const ZeroedArray&) = delete;
  ZeroedArray(ZeroedArray&& o) noexcept
      : data_(std::exchange(o.data_, nullptr)),
        size_(std::exchange(o.size_, 0)),
        capacity_(std::exchange(o.capacity_, 0)),
        mapped_(std::exchange(o.mapped_, false)),
        tail_zero_(std::exchange(o.tail_zero_, true)) {}
  ZeroedArray& operator=(ZeroedArray&& o) noexcept {
    if (this != &o) {
      Release();
      data_ = std::exchange(o.data_, nullptr);
      size_ = std::exchange(o.size_, 0);
      capacity_ = std::exchange(o.capacity_, 0);
      mapped_ = std::exchange(o.mapped_, false);
      tail_zero_ = std::exchange(o.tail_zero_, true);
    }
    return *this;
  }

  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  T* data() { return data_; }
  const T* data() const { return data_; }
  T& operator[](size_t i) { return data_[i]; }
  const T& operator[](size_t i) const { return data_[i]; }

  void resize(size_t n) {
    if (n <= size_) {
      size_ = n;
      tail_zero_ = false;  // the dropped elements keep their values
      return;
    }
    if (n > capacity_) {
      Grow(n);
    } else if (!tail_zero_) {
      std::memset(static_cast<void*>(data_ + size_), 0, (n - size_) * sizeof(T));
    }
    size_ = n;
  }

 private:
  static constexpr size_t kMapFrom = 16 * 1024;  // bytes

  void Grow(size_t n) {
    size_t cap = capacity_ + capacity_ / 2;
    if (cap < n) cap = n;
    const size_t bytes = cap * sizeof(T);
    T* fresh = nullptr;
    bool mapped = false;
    if (bytes >= kMapFrom) {
      void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (p == MAP_FAILED) throw std::bad_alloc();
      fresh = static_cast<T*>(p);
      mapped = true;
    } else {
      fresh = static_cast<T*>(std::calloc(cap, sizeof(T)));
      if (fresh == nullptr) throw std::bad_alloc();
    }
    if (size_ > 0) std::memcpy(static_cast<void*>(fresh), data_, size_ * sizeof(T));
    Release();
    data_ = fresh;
    capacity_ = cap;
    mapped_ = mapped;
    tail_zero_ = true;
  }

  void Release() {
    if (data_ == nullptr) return;
    if (mapped_) {
      munmap(data_, capacity_ * sizeof(T));
    } else {
      std::free(data_);
    }
    data_ = nullptr;
    capacity_ = 0;
  }

  T* data_ = nullptr;
  size_t size_ = 0;
  size_t capacity_ = 0;
  bool mapped_ = false;
  bool tail_zero_ = true;  // every element in [size_, capacity_) is zero
};

}  // namespace navarch::scheduler
