// Reads a segment file: the footer once at open (metadata, dictionaries,
// row-group index, trace ID filter), column blocks on demand with pread,
// each checked against its CRC32C before it is decompressed. A segment
// whose footer or any block fails its checksum is reported, never served.
//
// Thread-safe after Open (reads are positional; the footer is immutable).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "core/status.h"
#include "store/segment/attribute_columns.h"
#include "store/segment/attribute_index.h"
#include "store/segment/segment_format.h"
#include "store/table/span_table.h"

namespace polytrace::store {

// Which attribute keys (ids in the segment's key dictionary) a read
// decodes: empty, every key; else keys[id] for each.
using KeyMask = std::vector<bool>;

// The span fields a search compares, as this segment's ids: a row failing
// them is stepped over, not decoded (most rows of a group fail a service).
struct RowPredicate {
  std::optional<uint32_t> service, name;
  std::optional<uint8_t> kind, status;
  uint64_t start_min = 0, start_max = UINT64_MAX;
  std::optional<uint64_t> min_duration, max_duration;
  // Attribute `key` (this segment's id) = `value` in string form: a kept
  // row has a cell of the key that may hold it. Compared as the group's
  // dictionary id or an int, never as a string per cell, and a row failing
  // one is not decoded at all (a tag search otherwise decoded and interned
  // the key's value on every row of the service). Only for a tag nothing
  // else of a row can satisfy: no resource of the segment and no event of
  // the group has it; the caller's to know.
  struct AttributeEquals {
    uint32_t key = 0;
    std::string_view value;
  };
  std::vector<AttributeEquals> attributes;
  bool Keeps(uint32_t row_service, uint32_t row_name, uint8_t row_kind, uint8_t row_status,
             uint64_t start, uint64_t end) const {
    uint64_t duration = end > start ? end - start : 0;
    return (!service || *service == row_service) && (!name || *name == row_name) &&
           (!kind || *kind == row_kind) && (!status || *status == row_status) &&
           start >= start_min && start <= start_max &&
           (!min_duration || duration >= *min_duration) &&
           (!max_duration || duration <= *max_duration);
  }
};

class SegmentReader {
 public:
  static Result<std::shared_ptr<SegmentReader>> Open(const std::string& path);
  ~SegmentReader();
  SegmentReader(const SegmentReader&) = delete;
  SegmentReader& operator=(const SegmentReader&) = delete;

  const std::string& path() const { return path_; }
  uint64_t file_bytes() const { return file_bytes_; }
  const SegmentMeta& meta() const { return footer_.meta; }
  const SegmentFooter& footer() const { return footer_; }
  const TableDicts& dicts() const { return *footer_.dicts; }
  bool MayContain(const TraceId& id) const { return footer_.bloom.MayContain(id); }

  // Decodes row group `index` into a table sharing this segment's
  // dictionaries: every row, or only the rows of the traces in `only`
  // (sorted, distinct); only the columns in `columns` (the others are left
  // zero / empty); only the attribute cells of the keys in `keys` (the
  // others are stepped over: nothing interned; a search reads the few keys
  // it compares, not every string of the group); with `rows`, only the rows
  // it keeps (REQUIRES: `columns` without kParents).
  Result<SpanTable> ReadRowGroup(size_t index, std::span<const TraceId> only = {},
                                 ColumnMask columns = kAllColumns, const KeyMask& keys = {},
                                 const RowPredicate* rows = nullptr) const;
  // As ReadRowGroup(index, {}, kAllColumns, {}, &rows), but the traces
  // holding a row that may pass `rows`'s attribute conditions are decoded
  // whole: all of their rows in the group, with every column and key, no
  // predicate applied; no other row. A search can then answer them without
  // reading the group again (GetTraces after FindTraces read each group
  // twice). nullopt when no attribute condition narrows the group's rows
  // (read it with ReadRowGroup).
  Result<std::optional<SpanTable>> ReadTracesHolding(size_t index, const RowPredicate& rows) const;
  // Column `column` of row group `group` as it lies in the file's mapping,
  // when the file holds it as it is (a raw column, or a zstd frame of one
  // raw block: random span IDs, bit-packed times), its checksum verified
  // (once; under PrivateReads, every time); nullopt when it must be
  // decompressed, or the file is not mapped. Reads use it (not under
  // PassingReads): such blocks are neither copied nor kept in the shared
  // cache.
  Result<std::optional<std::string_view>> InPlace(size_t group, int column) const;
  // False only when no span of row group `index` can match attribute
  // `key` = `value` by a string value: not in the group's dictionary for the
  // key, not on any event (unless `events` is false: the caller knows no
  // event of the group has the key), no complex values in the group. Reads
  // one or two small columns, not the group.
  Result<bool> MayHaveStringValue(size_t index, std::string_view key, std::string_view value,
                                  bool events = true) const;
  // False when `bytes` occur nowhere in row group `index`'s extras (events,
  // links, status messages): e.g. no span there links to a given trace.
  Result<bool> ExtrasMayContain(size_t index, std::string_view bytes) const;
  // The distinct trace IDs of row group `index`, sorted (one column read).
  Result<std::vector<TraceId>> ReadTraceIds(size_t index) const;
  // With value postings for `key` (version 7): the row groups where a span
  // of `service` (empty: any) may hold string `value` in `key`, ascending:
  // those its postings list, and those that keep the key in a dictionary of
  // their own. nullopt when the segment keeps no postings for the key.
  // Events, complex values and other types are the caller's to add.
  Result<std::optional<std::vector<uint32_t>>> ValueGroups(std::string_view key,
                                                           std::string_view value,
                                                           std::string_view service) const;
  // The segment's attribute index (version 4), read and decoded on first
  // use and kept; null for older segments, which have none.
  Result<std::shared_ptr<const AttributeIndex>> ReadAttributeIndex() const;
  // The distinct values of a span attribute key over the whole segment, as
  // a tag-values query found them (the segment never changes): kept per key
  // while their strings fit in kValueMemoBytes; null when not kept.
  struct KeyValues {
    std::vector<std::pair<std::string, std::string>> values;  // (string form, type)
    bool complete = false;  // every distinct value, not only the first ones asked for
  };
  static constexpr size_t kValueMemoBytes = size_t(1) << 20;
  std::shared_ptr<const KeyValues> RememberedValues(std::string_view key) const;
  void RememberValues(std::string_view key, std::shared_ptr<const KeyValues> values) const;
  // The value tables, as row-group decoding looks strings up in them.
  const ValueTables& value_tables() const { return tables_; }
  // Reads and verifies every block of the file, and that the attribute
  // index admits every (key, value) each row group holds; the first damage
  // found.
  Status Check() const;

  // The value tables' chunks decompressed by any thread are shared (up to
  // kSharedValueBytes, least recently used dropped): a search's first
  // asking met a user ID from a chunk no earlier query on its thread had
  // read, dozens of them per search. Decompresses this segment's chunks
  // into that cache now, while it has room (after a seal, a compaction or
  // a start, newest segments first); how many chunks it added.
  static constexpr size_t kSharedValueBytes = size_t(64) << 20;
  size_t WarmValueTables() const;
  // What the shared cache holds now, in bytes.
  static size_t SharedValueBytes();
  // Decompressed column blocks are shared the same way, up to
  // kSharedColumnBytes (the blocks of about a million spans); what that
  // cache holds now, in bytes. A reader's blocks go when it is closed.
  static constexpr size_t kSharedColumnBytes = size_t(64) << 20;
  static size_t SharedColumnBytes();
  // Empties both shared caches (the memory_limiter's reclaim, through
  // core/reclaimable.h); the bytes they held. What a thread's front still
  // holds goes as the front moves on.
  static size_t DropSharedCaches();
  // A flag of the calling thread, raised while one lives (nested ones
  // count).
  template <typename Tag>
  class ThreadScope {
   public:
    ThreadScope() { ++depth(); }
    ~ThreadScope() { --depth(); }
    ThreadScope(const ThreadScope&) = delete;
    ThreadScope& operator=(const ThreadScope&) = delete;
    static bool active() { return depth() > 0; }

   private:
    static int& depth() {
      thread_local int d = 0;
      return d;
    }
  };
  // While one lives, the reads of its thread keep what they decompress to
  // themselves, not in the shared caches: compaction and checks meet every
  // chunk once and would push out what searches use (and a check reads
  // every block from the file).
  using PrivateReads = ThreadScope<struct PrivateReadsTag>;
  // While one lives, the column blocks its thread decompresses are not
  // added to the shared cache (those already there are used): a read that
  // passes over many row groups once, a big trace streamed, would push out
  // what searches use and hold the cache's 64 MiB as its own.
  using PassingReads = ThreadScope<struct PassingReadsTag>;

 private:
  SegmentReader(std::string path, int fd) : path_(std::move(path)), fd_(fd), id_(NextId()) {}
  // A process-wide identity that no other reader ever has (an address can
  // be reused once a reader is gone): what the thread's column buffers
  // record they hold.
  static uint64_t NextId() {
    static std::atomic<uint64_t> next{1};
    return next.fetch_add(1, std::memory_order_relaxed);
  }
  // Versions before 11: each row group's latest start, read from its starts.
  Status FindLatestStarts();
  Result<std::string> ReadBlock(const ColumnBlock& block, size_t group, int column) const;
  // The columns in `mask` of row group `index`, decompressed into this
  // thread's buffers (kept for the next reads); `read`: for a read of the
  // group, not a probe of it.
  Status HeldColumns(size_t index, ColumnMask mask, bool read,
                     std::array<std::string_view, kColumnCount>* columns) const;
  // That the value postings lead to `group` for every string `t` (the
  // group, read in full) holds; `check` carries the tables, read once.
  struct ValueGroupsCheck {
    bool loaded = false;
    absl::flat_hash_map<uint32_t, absl::flat_hash_map<std::string, uint32_t>> ids;
    absl::flat_hash_set<std::tuple<uint32_t, uint32_t, uint32_t, uint32_t>> postings;
  };
  Status CheckValueGroups(size_t group, const SpanTable& t, ValueGroupsCheck* check) const;
  // ReadBlock into `raw` (its memory reused).
  Status ReadBlockInto(const ColumnBlock& block, size_t group, int column, std::string* raw) const;
  // That `block` lies inside the file.
  Status CheckInFile(const ColumnBlock& block, size_t group, int column) const;
  // Verifies `compressed` (the block's bytes, read) and decompresses it
  // into `raw`.
  Status DecompressBlock(const ColumnBlock& block, std::string_view compressed, size_t group,
                         int column, std::string* raw) const;

  // The segment's value tables (version 6), as AttributeColumnsReader
  // looks strings up in them: a chunk is read when an id in it is first
  // asked for, and the last few chunks a thread decompressed stay.
  class Values final : public ValueTables {
   public:
    explicit Values(const SegmentReader* reader) : reader_(reader) {}
    // After the footer is read: which table is each key's.
    void Index();
    uint32_t Size(uint32_t key) const override;
    bool Get(uint32_t key, uint32_t id, std::string_view* value) const override;
    bool Find(uint32_t key, std::string_view value, std::optional<uint32_t>* id) const override;
    // Reads and parses every chunk; the first damage found.
    Status Check() const;
    const ValueTable* TableOf(uint32_t key) const;
    // The groups in the postings of string `id` of `key` on spans of
    // `service` (nullopt: any), appended ascending (a group once per
    // service), and with `services`, each one's service. False when
    // damaged; nothing appended without postings.
    bool Postings(uint32_t key, uint32_t id, std::optional<uint32_t> service,
                  std::vector<uint32_t>* groups, std::vector<uint32_t>* services = nullptr) const;

    // Loads the chunks of every table into the shared cache while it has
    // room; how many it loaded.
    size_t Warm() const;
    // Drops this segment's chunks from the shared cache (it is closed).
    void Forget() const;
    static size_t SharedBytes();
    static size_t DropShared();

   private:
    struct Parsed {
      std::vector<std::string_view> strings;
      // Per string: its postings list (version 7: in the strings chunk;
      // version 8: a chunk's postings block, kept on its own, no strings).
      std::vector<std::string_view> postings;
    };
    struct HeldChunk {
      std::string raw;
      Parsed parsed;
      size_t bytes() const {
        return raw.capacity() +
               (parsed.strings.capacity() + parsed.postings.capacity()) * sizeof(std::string_view);
      }
    };
    // Chunk `c` of `t`; null (and *error set) when damaged. The pointer
    // lasts while this thread's front of the cache keeps it (at least until
    // its next call).
    const Parsed* Chunk(const ValueTable& t, size_t c, Status* error = nullptr) const;
    // Chunk `c` of `t`, its strings or (`postings`, version 8) its postings
    // block's lists in `postings`, from this thread's front of the shared
    // cache, the shared cache, or the file; null (and *error set) when
    // damaged.
    const Parsed* Cached(const ValueTable& t, size_t c, bool postings, Status* error) const;
    // Reads and parses it; null (and *error set) when damaged.
    std::shared_ptr<HeldChunk> Load(const ValueTable& t, size_t c, bool postings,
                                    Status* error) const;
    // Version 8: the postings list of each string of chunk `c`, views into
    // `raw` (its block, read), each list unchecked; false (and *error set)
    // when the block is damaged.
    bool PostingsLists(const ValueTable& t, size_t c, std::string* raw,
                       std::vector<std::string_view>* lists, Status* error) const;
    const SegmentReader* reader_;
    std::vector<int32_t> by_key_;  // key id -> its table in the footer, -1: none
  };

  std::string path_;
  int fd_;
  const uint64_t id_;
  Values tables_{this};
  uint64_t file_bytes_ = 0;
  const char* mapped_ = nullptr;  // the whole file, read-only; null: not mapped
  // Per row group, the columns found read in place (bit c, verified) and
  // those found not to be (bit 32 + c).
  std::unique_ptr<std::atomic<uint64_t>[]> in_place_;
  SegmentFooter footer_;
  mutable std::mutex index_mu_;
  mutable std::shared_ptr<const AttributeIndex> index_;  // guarded by index_mu_
  // Guarded by index_mu_, as the index: both are what queries learned.
  mutable absl::flat_hash_map<std::string, std::shared_ptr<const KeyValues>> value_memo_;
  mutable size_t value_memo_bytes_ = 0;
};

}  // namespace polytrace::store
