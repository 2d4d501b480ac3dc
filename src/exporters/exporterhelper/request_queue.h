// RequestQueue: the bounded queue between an exporter's ConsumeTraces and
// its sending threads. In memory, or persisted under a directory (one file
// per request, written to a temporary name, fsynced and renamed, so that a
// request acknowledged upstream survives kill -9 and a torn write is never
// mistaken for data). Each file carries a length and CRC32 header.
//
// Thread-safe: producers call Offer, consumer threads call Take/Done.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"

namespace polytrace {

// One encoded export request.
struct ExportRequest {
  std::string payload;
  uint64_t spans = 0;
  uint64_t id = 0;  // persistent queue: file sequence number
};

class RequestQueue {
 public:
  // `directory` empty: in memory. capacity counts requests or spans.
  RequestQueue(int64_t capacity, bool count_spans, std::string directory);

  // Loads requests a previous run left on disk; returns how many.
  Result<size_t> Recover();
  // Unavailable when full (unless `block`, which waits for room).
  Status Offer(ExportRequest request, bool block);
  // Waits for a request; nullopt once closed and empty (or closed, if !drain).
  std::optional<ExportRequest> Take();
  // As Take, but waits only until `deadline`: nullopt with `*timed_out` set
  // when it passed first.
  std::optional<ExportRequest> TakeUntil(std::chrono::steady_clock::time_point deadline,
                                         bool* timed_out);
  // A taken request is finished (sent or given up): forget it on disk.
  void Done(const ExportRequest& request);
  // Wakes consumers; `drain`: let them empty the queue first.
  void Close(bool drain);

  int64_t size() const;
  // Consumers waiting in Take.
  size_t idle_consumers() const;
  int64_t capacity() const { return capacity_; }

 private:
  int64_t Cost(const ExportRequest& r) const { return count_spans_ ? int64_t(r.spans) : 1; }
  Status Persist(ExportRequest& request);
  std::optional<ExportRequest> TakeBefore(
      std::optional<std::chrono::steady_clock::time_point> deadline, bool* timed_out);

  const int64_t capacity_;
  const bool count_spans_;
  const std::string directory_;
  mutable std::mutex mu_;
  std::condition_variable not_full_;
  // Consumers waiting for a request, the latest last: Offer wakes the one
  // that has waited least, whose stack, connection and caches are still
  // warm (under light load one thread does all the sending, instead of
  // each request waking the next of num_consumers cold threads).
  std::vector<std::condition_variable*> idle_consumers_;  // guarded by mu_
  std::deque<ExportRequest> items_;                       // guarded by mu_
  int64_t used_ = 0;                                      // guarded by mu_
  uint64_t next_id_ = 1;                                  // guarded by mu_
  bool closed_ = false;                                   // guarded by mu_
  bool drain_ = true;                                     // guarded by mu_
};

}  // namespace polytrace
