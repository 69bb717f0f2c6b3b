// event_queue.h (private to simulator/): the discrete-event engine's storage. Events are
// PODs ordered by (time, sequence) in a binary heap; request state lives in recycled slabs;
// FIFO queues are ring buffers.
#pragma once

#include <cstdint>
#include <vector>

namespace meshproof::sim {

enum EventKind : std::uint32_t {
  kEvArrival,
  kEvAtServer,
  kEvServiceDone,
  kEvPsDone,
  kEvResponse,
  kEvPerTryTimeout,
  kEvCallTimeout,
  kEvRetry,
  kEvTick,
};

// A POD event: 32 bytes, so the heap stays in cache.
struct Event {
  double time;
  std::uint64_t seq;
  std::uint32_t kind;
  std::uint32_t id;
  std::uint32_t gen;
  std::uint32_t pad;
};

struct Later {
  bool operator()(const Event& a, const Event& b) const {
    return a.time > b.time || (a.time == b.time && a.seq > b.seq);
  }
};

// A growable ring buffer of request ids: a replica's FIFO queue.
class Ring {
 public:
  bool empty() const { return size_ == 0; }
  std::size_t size() const { return size_; }
  void push(std::uint32_t v) {
    if (size_ == buf_.size()) Grow();
    buf_[(head_ + size_) & (buf_.size() - 1)] = v;
    ++size_;
  }
  std::size_t bytes() const { return buf_.capacity() * sizeof(std::uint32_t); }
  std::uint32_t pop() {
    const std::uint32_t v = buf_[head_];
    head_ = (head_ + 1) & (buf_.size() - 1);
    --size_;
    return v;
  }

 private:
  void Grow() {
    std::vector<std::uint32_t> next(buf_.empty() ? 8 : buf_.size() * 2);
    for (std::size_t i = 0; i < size_; ++i) next[i] = buf_[(head_ + i) & (buf_.size() - 1)];
    buf_ = std::move(next);
    head_ = 0;
  }
  std::vector<std::uint32_t> buf_;
  std::size_t head_ = 0, size_ = 0;
};

// Request state lives in slabs recycled through free lists: memory follows the requests in
// flight, not the requests simulated. Freeing bumps the slot's generation, so an event
// that names a recycled slot (a stale timer) can tell.
template <typename T>
class Slab {
 public:
  std::uint32_t Alloc() {
    std::uint32_t id;
    if (!free_.empty()) {
      id = free_.back();
      free_.pop_back();
    } else {
      id = static_cast<std::uint32_t>(items_.size());
      items_.emplace_back();
    }
    ++live_;
    return id;
  }
  void Free(std::uint32_t id) {
    ++items_[id].gen;
    free_.push_back(id);
    --live_;
  }
  T& operator[](std::uint32_t id) { return items_[id]; }
  std::size_t live() const { return live_; }
  std::size_t bytes() const {
    return items_.capacity() * sizeof(T) + free_.capacity() * sizeof(std::uint32_t);
  }

 private:
  std::vector<T> items_;
  std::vector<std::uint32_t> free_;
  std::size_t live_ = 0;
};

}  // namespace meshproof::sim
