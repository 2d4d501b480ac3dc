// What a store is configured with (the `polytrace_store` exporter's config
// maps onto this; docs/configuration.md documents every field).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "store/wal/wal.h"

namespace polytrace::store {

struct StoreOptions {
  std::string directory = "./data";
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::milliseconds fsync_interval{1000};
  // The head is sealed into a segment when it holds this much or is this old.
  uint64_t segment_max_bytes = 64ull << 20;
  std::chrono::milliseconds segment_max_duration{std::chrono::minutes(5)};
  // Spans per row group, the unit a read decompresses (2048: trace by ID
  // 0.73 vs 0.90 ms p50 at 8192, for 0.5 more bytes per span; docs/BENCHMARKS.md).
  uint32_t row_group_rows = 2048;
  // Segments whose spans start in the same window are merged into one.
  std::chrono::milliseconds compaction_window{std::chrono::hours(1)};
  // Compaction writes at most this many bytes per second (0: unbounded), so
  // ingest keeps its rate.
  uint64_t compaction_max_bytes_per_second = 64ull << 20;
  std::chrono::milliseconds maintenance_interval{std::chrono::seconds(10)};
  // Compaction does not write segments bigger than this.
  uint64_t compaction_max_segment_bytes = 2ull << 30;
  // Compacted segments are written once and read for a long time: they
  // trade compression CPU for bytes (sealing the head and merging the open
  // window use level 3, or this if lower).
  int compaction_zstd_level = 6;
  // Whole segments are deleted once they were written longer ago than this
  // (0: keep forever), whatever timestamps their spans carry ...
  std::chrono::milliseconds retention_max_age{std::chrono::hours(72)};
  // ... or, oldest first, while the store is bigger than this (0: no bound).
  uint64_t retention_max_bytes = 0;
  // Seal the head at Close so the next start has no WAL to replay (tests
  // turn it off to exercise replay).
  bool seal_on_close = true;
  // Seal full and old heads on a thread of the store's (tests turn it off
  // to seal by hand, as a sealer that cannot keep up).
  bool background_sealing = true;
  // How long Append waits for sealing to catch up while Store::kMaxFrozenHeads
  // full heads wait to be written, before it refuses (kResourceExhausted).
  std::chrono::milliseconds seal_wait{std::chrono::seconds(5)};
};

}  // namespace polytrace::store
