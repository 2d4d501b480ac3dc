// The write-ahead log: every batch the store accepts is appended here
// before its client is answered, so a crash loses nothing acknowledged.
//
// One file per head block (`wal-<seq>.log`); sealing the head into a
// segment rotates to the next file, and the old one is deleted once the
// segment is durable. Record layout (docs/store-format.md):
//   file   := magic "PTWAL" version(1) 0 0, record*
//   record := length(u32 LE) crc32c(u32 LE, of the payload) payload
// The payload is an OTLP ExportTraceServiceRequest (protobuf).
//
// Group commit: concurrent Appends are written (and, with fsync=always,
// synced) together by whichever caller arrives first; the others wait for
// it. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/status.h"

namespace polytrace::store {

// When an appended record counts as durable: `always` after fdatasync,
// `interval` once written (a background thread syncs every interval),
// `never` once written (the OS syncs when it likes).
enum class FsyncPolicy { kAlways, kInterval, kNever };

struct WalOptions {
  std::string directory;
  FsyncPolicy fsync = FsyncPolicy::kInterval;
  std::chrono::milliseconds fsync_interval{1000};
};

class WalWriter {
 public:
  // Creates `directory/wal-<seq>.log` (it must not exist yet).
  static Result<std::unique_ptr<WalWriter>> Open(WalOptions options, uint64_t seq);
  ~WalWriter();

  // Appends one record and returns once it is durable under the policy.
  Status Append(std::string_view payload) { return Append(std::span(&payload, 1)); }
  // The same, for a payload in pieces (a batch's wire form), uncopied.
  Status Append(std::span<const std::string_view> payload);
  // Syncs and closes the current file and opens seq + 1. REQUIRES: no
  // Append in progress (the store holds its ingest lock exclusively).
  Status Rotate();
  uint64_t seq() const { return seq_; }
  // Syncs and closes; Append fails afterwards. Idempotent.
  void Close();
  // How many times the `interval` policy's thread has synced (tests: once
  // an interval while records keep coming, never while none do).
  uint64_t interval_syncs() const;

 private:
  WalWriter(WalOptions options, uint64_t seq);
  Status OpenFile();
  void SyncLoop();

  const WalOptions options_;
  uint64_t seq_;  // changed only by Rotate
  mutable std::mutex mu_;
  std::condition_variable cv_;       // a leader finished writing; closing
  std::condition_variable sync_cv_;  // wakes the interval sync thread
  int fd_ = -1;                      // guarded by mu_
  std::string pending_;              // guarded by mu_: records not yet written
  uint64_t appended_ = 0;            // guarded by mu_: records queued so far
  uint64_t durable_ = 0;             // guarded by mu_: records written (and synced per policy)
  bool writing_ = false;             // guarded by mu_: a leader is writing
  bool closed_ = false;              // guarded by mu_
  Status error_;                     // guarded by mu_: a failed write fails every later Append
  bool sync_idle_ = false;           // guarded by mu_: the sync thread waits for a write
  uint64_t interval_syncs_ = 0;      // guarded by mu_
  std::thread sync_thread_;
};

std::string WalFileName(uint64_t seq);
// The sequence numbers of the WAL files in `directory`, ascending.
std::vector<uint64_t> ListWalFiles(const std::string& directory);

struct WalContents {
  std::vector<std::string> records;
  uint64_t valid_bytes = 0;  // where the last good record ends
  uint64_t file_bytes = 0;
  std::string damage;  // empty when the whole file is valid
};

// Reads every valid record. A torn or corrupt tail ends the log there: it
// is reported in `damage` and, with `truncate`, cut off the file.
Result<WalContents> ReadWalFile(const std::string& path, bool truncate);

}  // namespace polytrace::store
