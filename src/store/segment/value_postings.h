// The value postings of a segment while it is written (format 7): per key,
// string and service, the row groups holding the string. They arrive group
// by group and are written string by string, a transpose of everything the
// segment holds: a user ID on every span makes about one posting per span.
// Up to `max_held` postings (12 bytes each) stay in memory; past that they
// are put in order and spilled to an unlinked file beside the segment as a run,
// and merged back, string by string, when the value tables are written. So
// a 2 GiB compaction output keeps its postings in bounded memory (before
// spilling, segments past 4M spans of a user ID had none, and a search for
// a rare user read every group: 730 ms at 100M spans).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "core/status.h"

namespace polytrace::store {

class PostingsCollector {
 public:
  // 24 MiB, and as much again while a run is put in order.
  static constexpr size_t kDefaultMaxHeld = size_t(2) << 20;
  struct Entry {
    uint32_t id, service, group;
    auto operator<=>(const Entry&) const = default;
  };
  // `spill_directory`: where a full memory spills (a file created and
  // unlinked at once: a crash leaves nothing); empty: nowhere, the
  // postings past `max_held` are dropped, all of them (complete() false).
  PostingsCollector(size_t max_held, std::string spill_directory);
  ~PostingsCollector();
  PostingsCollector(const PostingsCollector&) = delete;
  PostingsCollector& operator=(const PostingsCollector&) = delete;

  // String `id` of `key` is on a span of `service` in row group `group`.
  // Each (key, id, service, group) once; groups never decrease (so each
  // run holds later groups than the one before).
  void Add(uint32_t key, const Entry& e);
  // False once postings were dropped (no spill directory, or it failed):
  // no table may then claim to have them.
  bool complete() const { return !dropped_; }
  size_t spilled_runs() const { return runs_.size(); }

  // One pass over `key`'s postings, string by string (ids ascending), each
  // string's (block, service) pairs ascending and distinct, a block being
  // group >> shift. Passes may be repeated; the collector must outlive them.
  class Pass {
   public:
    // Appends string `id`'s pairs to `out` (cleared first). REQUIRES: ids
    // ascending across calls. A spilled run that cannot be read is an error.
    Status Next(uint32_t id, std::vector<std::pair<uint32_t, uint32_t>>* out);

   private:
    friend class PostingsCollector;
    struct Run {  // a spilled run's section for the key, read in slices
      uint64_t offset = 0, end = 0;
      std::string buffer;
      size_t at = 0;
      uint64_t left = 0;  // entries not yet decoded
      Entry head{};
      bool has_head = false;
      uint32_t previous_id = 0, previous_group = 0;
    };
    Status Advance(Run& run);
    const PostingsCollector* owner_ = nullptr;
    uint8_t shift_ = 0;
    std::vector<Run> runs_;
    const std::vector<Entry>* held_ = nullptr;  // sorted
    size_t held_at_ = 0;
  };
  // REQUIRES: complete(). Sorts what memory holds for `key` (once).
  Result<Pass> Read(uint32_t key, uint8_t shift);

 private:
  Status Spill();
  void Drop();

  const size_t max_held_;
  const std::string spill_directory_;
  std::map<uint32_t, std::vector<Entry>> held_;  // by key
  size_t held_count_ = 0;
  bool sorted_ = false;
  // Per run, per key: where its entries are in the spill file, and how many.
  struct Section {
    uint64_t offset, bytes, entries;
  };
  std::vector<std::map<uint32_t, Section>> runs_;
  int fd_ = -1;
  uint64_t file_bytes_ = 0;
  bool dropped_ = false;
};

}  // namespace polytrace::store
