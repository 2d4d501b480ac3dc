// Store: the embedded trace store behind the `polytrace_store` exporter and
// the query APIs.
//
// Write path: Append encodes the batch as OTLP protobuf into the WAL (group
// commit; it returns once durable per the fsync policy), then adds it to the
// head block, where it is searchable at once. A background thread seals the
// head into a segment when it is big or old, compacts segments of the same
// time window so a trace's spans end up together, and deletes whole
// segments past retention.
//
// Read path: a trace is assembled from the head, any head being sealed and
// every segment whose filter admits its ID; a search prunes segments and
// row groups by time and service before scanning columns.
//
// Recovery (Open): finish any interrupted compaction, open and verify every
// segment footer (a damaged segment is set aside and reported, never
// served), replay the WAL files not yet in segments, truncating a torn tail.
//
// Thread model: Append and the readers may be called from any thread
// concurrently; one thread seals heads, another compacts and applies
// retention (so a long compaction never holds up sealing).
#pragma once

#include <spdlog/logger.h>

#include <atomic>
#include <condition_variable>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/status.h"
#include "core/traces.h"
#include "store/engine/head_block.h"
#include "store/engine/latency_histogram.h"
#include "store/engine/search_reads.h"
#include "store/engine/span_filter.h"
#include "store/engine/store_options.h"
#include "store/engine/trace_reader.h"
#include "store/segment/segment_reader.h"
#include "store/wal/wal.h"
#include "telemetry/metrics.h"

namespace polytrace::store {

struct OperationEntry {
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  friend auto operator<=>(const OperationEntry&, const OperationEntry&) = default;
};

struct DependencyLink {
  std::string parent;  // calling service
  std::string child;   // called service
  uint64_t call_count = 0;
  uint64_t error_count = 0;      // the called span's status is ERROR
  uint64_t messaging_count = 0;  // calls whose called span is a CONSUMER (through a broker)
  LatencyHistogram latency;      // the called spans' durations
};

// The service map over a time range: who calls whom, and how each service is doing.
struct ServiceGraph {
  struct Node {
    std::string service;
    uint64_t spans = 0;
    uint64_t errors = 0;
  };
  std::vector<Node> services;
  std::vector<DependencyLink> links;
};

struct StoreStats {
  uint64_t spans = 0;
  uint64_t traces = 0;  // summed per segment: a trace split across segments counts twice
  uint64_t segments = 0;
  uint64_t segment_bytes = 0;
  uint64_t head_spans = 0;
  uint64_t wal_bytes = 0;
  uint64_t min_start_nanos = 0;
  uint64_t max_end_nanos = 0;
  std::vector<std::string> damaged;  // segments set aside at open, with the reason
};

uint64_t UnixNanosNow();

// Self-metrics the store keeps current (set by its owner; null: none).
struct StoreGauges {
  Gauge* segments = nullptr;
  Gauge* segment_bytes = nullptr;
  Gauge* segment_spans = nullptr;
  Gauge* head_spans = nullptr;  // in memory (and the WAL), searchable, not yet in a segment
};

class Store {
 public:
  // Full heads waiting to be written before Append waits for the sealer
  // (StoreOptions::seal_wait), then refuses (kResourceExhausted): the
  // store's memory for spans not yet on disk is bounded by about
  // (kMaxFrozenHeads + 1) x segment_max_bytes.
  static constexpr size_t kMaxFrozenHeads = 4;

  static Result<std::unique_ptr<Store>> Open(StoreOptions options,
                                             std::shared_ptr<spdlog::logger> logger,
                                             StoreGauges gauges = {});
  ~Store();

  // Durable per the fsync policy when it returns Ok.
  Status Append(const Traces& traces);

  // All stored spans of the trace (an empty batch when none).
  Result<Traces> GetTrace(const TraceId& id) const;
  // GetTrace of each of `ids`, in their order; traces sharing a row group
  // are read from it in one pass (a search's hits usually do). With
  // `reads` (FindTraces's), the traces a search read whole are taken from
  // there, not read again. Past `max_spans` spans in all, kResourceExhausted
  // before more are made (a trace of ten million spans must not be built
  // whole to learn that it does not fit an answer).
  Result<std::vector<Traces>> GetTraces(
      std::span<const TraceId> ids, const SearchReads* reads = nullptr,
      size_t max_spans = std::numeric_limits<size_t>::max()) const;
  // Trace `id` a piece at a time, in bounded memory (a streamed answer):
  // what the store holds now, every tier, as GetTrace would read it.
  std::unique_ptr<TraceReader> ReadTrace(const TraceId& id,
                                         size_t piece_spans = TraceReader::kPieceSpans) const;
  // Traces with a span matching `filter`, at most `limit`, newest first;
  // which ones when more match: `order`. With `reads`: a selective search
  // (a value of a key too varied to be indexed by value, e.g. a user ID)
  // reads the traces it finds whole and keeps them there, for GetTraces.
  Result<std::vector<TraceHit>> FindTraces(const SpanFilter& filter, size_t limit,
                                           SearchReads* reads = nullptr,
                                           SearchOrder order = SearchOrder::kNewest) const;
  std::vector<std::string> Services() const;
  std::vector<OperationEntry> Operations(std::string_view service) const;
  // Calls between services (a span whose parent belongs to another service)
  // among spans starting in [start, end], and each service's span and error
  // counts there.
  Result<ServiceGraph> ServiceMap(uint64_t start_nanos, uint64_t end_nanos) const;
  Result<std::vector<DependencyLink>> Dependencies(uint64_t start_nanos, uint64_t end_nanos) const {
    Result<ServiceGraph> graph = ServiceMap(start_nanos, end_nanos);
    if (!graph.ok()) return graph.status();
    return std::move(graph->links);
  }
  StoreStats Stats() const;
  // Attribute keys seen on spans and on resources (Tempo's tag names).
  struct TagNames {
    std::vector<std::string> span;
    std::vector<std::string> resource;
  };
  TagNames AttributeNames() const;
  // Distinct values of attribute `key` (on spans when `span_scope`, else on
  // resources), newest data first, at most `limit`. Each value is its
  // string form with its OTLP type ("string", "int", "double", "bool").
  // Only data that may hold spans between `start_nanos` and `end_nanos`
  // counts: the head, and the segments and row groups (8,192 spans) whose
  // spans overlap the range.
  Result<std::vector<std::pair<std::string, std::string>>> AttributeValues(
      std::string_view key, bool span_scope, size_t limit, uint64_t start_nanos = 0,
      uint64_t end_nanos = std::numeric_limits<uint64_t>::max()) const;

  // Merges every window as if it had closed, until nothing is left to merge
  // (`polytrace store compact`, on a store no server has open).
  Status CompactAllWindows();

  // Seals the head now (tests, shutdown). No-op on an empty head.
  Status SealHead();
  // One round of compaction and retention, as the compaction thread does.
  Status RunMaintenance();
  // Stops the sealing and compaction threads, seals the head (unless
  // seal_on_close is off: then the next Open replays it from the WAL) and
  // closes the WAL. Idempotent.
  void Close();

 private:
  Store(StoreOptions options, std::shared_ptr<spdlog::logger> logger, StoreGauges gauges);
  void UpdateGauges() const;
  Status Recover();
  Status LockDirectory();
  Status OpenSegments(uint64_t* sealed_through);
  Status ReplayWal(uint64_t sealed_through, uint64_t* last_seq);
  Status SealFrozenHeads();
  // Appending: a head that reached segment_max_bytes joins the frozen ones
  // at once (while the sealer writes another, a head it had not frozen yet
  // grew without bound: 1.5 GB in a 100M-span ingest).
  void FreezeFullHead();
  // Whether a frozen head's place is free, waiting up to seal_wait for one.
  bool WaitForSealRoom();
  // Deletes a file the store no longer needs; a failure is logged (the file
  // is superseded, and is deleted again at the next start).
  void RemoveOrWarn(const std::string& path);
  void SealLoop();
  void CompactionLoop();
  bool HeadNeedsSealing() const;
  Status Compact(bool close_all_windows = false);
  // `final_merge`: a closed window's last merge (strong zstd level, kFinalLevel);
  // otherwise a tier of a window still filling (cheap level).
  Status CompactWindow(std::vector<std::shared_ptr<SegmentReader>> inputs, bool final_merge);
  std::vector<std::shared_ptr<SegmentReader>> CapBySize(
      std::vector<std::shared_ptr<SegmentReader>> inputs) const;
  void EnforceRetention();
  void RemoveSegments(const std::vector<uint64_t>& ids);
  std::string SegmentPath(uint64_t id) const;

  // A head no longer written, waiting for (or in) its seal.
  struct FrozenHead {
    std::shared_ptr<const HeadBlock> head;
    uint64_t sealed_through = 0;  // WAL files up to this seq hold only its spans (and older)
  };
  // A consistent view for readers: the frozen heads and segments at the
  // instant `read_live_head` ran on the live head (under the lock).
  struct Snapshot {
    std::vector<std::shared_ptr<const HeadBlock>> heads;
    std::vector<std::shared_ptr<SegmentReader>> segments;
  };
  template <typename Fn>
  Snapshot TakeSnapshot(Fn&& read_live_head) const {
    std::shared_lock lock(mu_);
    read_live_head(static_cast<const HeadBlock&>(*head_));
    Snapshot snapshot;
    for (const FrozenHead& f : sealing_) snapshot.heads.push_back(f.head);
    snapshot.segments = segments_;
    return snapshot;
  }

  const StoreOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  const StoreGauges gauges_;
  std::unique_ptr<WalWriter> wal_;

  // Appends hold it shared (WAL record + head insert); sealing holds it
  // exclusively to rotate the WAL and swap the head at one boundary.
  mutable std::shared_mutex ingest_mu_;
  mutable std::shared_mutex mu_;
  std::shared_ptr<HeadBlock> head_;                       // guarded by mu_
  std::vector<FrozenHead> sealing_;                       // guarded by mu_, oldest first
  std::vector<std::shared_ptr<SegmentReader>> segments_;  // guarded by mu_, by id
  std::vector<std::string> damaged_;                      // guarded by mu_
  std::atomic<uint64_t> next_segment_id_{1};
  int lock_fd_ = -1;    // flock on <directory>/LOCK: one process per store
  std::mutex seal_mu_;  // one seal at a time

  // Each sealed segment's share of the service map over its whole time
  // range, by segment id (a segment never changes): counted when a segment
  // is written, after a start in the background, or at the first asking,
  // so that a map over millions of spans merges shares instead of reading
  // the store. Dropped with the segment (compaction, retention).
  struct SegmentGraph;
  mutable std::mutex graph_parts_mu_;
  mutable std::unordered_map<uint64_t, std::shared_ptr<const SegmentGraph>> graph_parts_;
  mutable size_t graph_parts_unresolved_ =
      0;  // their unresolved parents, guarded by graph_parts_mu_
  Result<std::shared_ptr<const SegmentGraph>> GraphShare(const SegmentReader& seg) const;
  // Counts the shares not kept yet, newest segments first; stops at Close.
  void KeepGraphShares(std::vector<std::shared_ptr<SegmentReader>> segments) const;
  void ForgetGraphShares(const std::vector<uint64_t>& ids) const;

  mutable std::mutex stop_mu_;
  std::condition_variable stop_cv_;
  bool stopping_ = false;  // guarded by stop_mu_
  // Whether two segments share a trace (retention), by segment ids; used by
  // the compaction thread only.
  std::map<std::pair<uint64_t, uint64_t>, bool> shares_trace_;
  std::thread sealer_;     // seals full or old heads
  std::thread compactor_;  // compaction and retention
};

}  // namespace polytrace::store
