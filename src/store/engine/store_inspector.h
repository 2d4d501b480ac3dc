// Offline, read-only views of a store directory for `polytrace store stats`
// and `polytrace store check`. Safe while a polytrace process writes the
// directory: nothing is locked, modified or truncated.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"

namespace polytrace::store {

struct DirectoryStats {
  uint64_t segments = 0;
  uint64_t segment_bytes = 0;
  uint64_t segment_spans = 0;
  uint64_t segment_traces = 0;  // summed per segment
  uint64_t wal_files = 0;
  uint64_t wal_bytes = 0;
  uint64_t wal_spans = 0;  // not yet sealed into segments
  uint64_t min_start_nanos = 0;
  uint64_t max_end_nanos = 0;
  std::vector<std::string> problems;  // segments or WAL files that could not be read
  // Compressed bytes per segment column (kColumnNames order), then of the
  // attribute indexes: where space goes.
  std::vector<std::pair<std::string, uint64_t>> column_bytes;
  // The same, decompressed: what reading them holds in memory (the shared
  // column cache's working set).
  std::vector<std::pair<std::string, uint64_t>> column_raw_bytes;
};

Result<DirectoryStats> InspectStoreDirectory(const std::string& directory);

struct CheckReport {
  uint64_t segments_checked = 0;
  uint64_t blocks_checked = 0;
  uint64_t wal_files_checked = 0;
  uint64_t wal_records_checked = 0;
  std::vector<std::string> damage;  // each names the file and the place
};

// Verifies every checksum of every segment and WAL file.
Result<CheckReport> CheckStoreDirectory(const std::string& directory);

}  // namespace polytrace::store
