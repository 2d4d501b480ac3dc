#include "store/engine/store.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "core/thread_name.h"
#include "otlp/proto_codec.h"
#include "store/format/file_util.h"
#include "store/segment/segment_writer.h"

namespace polytrace::store {

uint64_t UnixNanosNow() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
}

namespace {

// About how many spans a head holds when it reaches segment_max_bytes
// (a span with ten attributes counts ~220 bytes in SpanTable::MemoryBytes),
// capped so a huge setting does not reserve absurd address space.
size_t ExpectedHeadRows(const StoreOptions& options) {
  constexpr uint64_t kBytesPerRow = 200, kMaxRows = 4'000'000;
  return size_t(std::min(options.segment_max_bytes / kBytesPerRow, kMaxRows));
}

}  // namespace

Store::Store(StoreOptions options, std::shared_ptr<spdlog::logger> logger, StoreGauges gauges)
    : options_(std::move(options)),
      logger_(std::move(logger)),
      gauges_(gauges),
      head_(std::make_shared<HeadBlock>(ExpectedHeadRows(options_))) {}

Store::~Store() {
  Close();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

std::string Store::SegmentPath(uint64_t id) const {
  return options_.directory + "/segments/" + SegmentFileName(id);
}

Result<std::unique_ptr<Store>> Store::Open(StoreOptions options,
                                           std::shared_ptr<spdlog::logger> logger,
                                           StoreGauges gauges) {
  std::unique_ptr<Store> store(new Store(std::move(options), std::move(logger), gauges));
  if (Status st = store->Recover(); !st.ok()) return st;
  if (store->options_.background_sealing) {
    store->sealer_ = std::thread([s = store.get()] {
      SetThreadName("store-seal");
      s->SealLoop();
    });
  }
  store->compactor_ = std::thread([s = store.get()] {
    SetThreadName("store-compact");
    s->CompactionLoop();
  });
  return store;
}

Status Store::LockDirectory() {
  std::string path = options_.directory + "/LOCK";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0 || ::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Status::Unavailable(
        fmt::format("store directory {} is in use by another polytrace process (could not lock {})",
                    options_.directory, path));
  }
  return Status::Ok();
}

void Store::RemoveOrWarn(const std::string& path) {
  if (Status st = RemoveFile(path); !st.ok()) {
    logger_->warn("store: cannot delete {} (deleted at the next start): {}", path, st.message());
  }
}

Status Store::OpenSegments(uint64_t* sealed_through) {
  std::string dir = options_.directory + "/segments";
  std::vector<uint64_t> ids;
  for (const std::string& name : ListDirectory(dir)) {
    uint64_t id;
    if (name.ends_with(".tmp")) {
      RemoveOrWarn(dir + "/" + name);  // an interrupted seal or compaction
    } else if (ParseSegmentFileName(name, &id)) {
      ids.push_back(id);
    }
  }
  std::sort(ids.begin(), ids.end());
  std::vector<std::shared_ptr<SegmentReader>> readers;
  for (uint64_t id : ids) {
    next_segment_id_ = std::max<uint64_t>(next_segment_id_, id + 1);
    Result<std::shared_ptr<SegmentReader>> reader = SegmentReader::Open(SegmentPath(id));
    if (!reader.ok()) {
      logger_->error("store: segment set aside, not served: {}", reader.status().message());
      std::error_code ec;  // if even the rename fails, the next start reports it again
      std::filesystem::rename(SegmentPath(id), SegmentPath(id) + ".damaged", ec);
      damaged_.push_back(reader.status().message());
      continue;
    }
    readers.push_back(*reader);
  }
  // A compacted segment supersedes its inputs; a crash may have left them.
  std::vector<uint64_t> superseded;
  for (const auto& r : readers) {
    superseded.insert(superseded.end(), r->meta().replaces.begin(), r->meta().replaces.end());
  }
  for (const auto& r : readers) {
    if (std::find(superseded.begin(), superseded.end(), r->meta().id) != superseded.end()) {
      RemoveOrWarn(r->path());
      continue;
    }
    *sealed_through = std::max(*sealed_through, r->meta().max_wal_seq);
    segments_.push_back(r);
  }
  // The newest segments' strings into the cache searches share, while it
  // has room: the first search after a start meets them cold otherwise.
  std::vector<std::shared_ptr<SegmentReader>> newest = segments_;
  std::sort(newest.begin(), newest.end(),
            [](const auto& a, const auto& b) { return a->meta().max_end > b->meta().max_end; });
  for (const auto& r : newest) r->WarmValueTables();
  return Status::Ok();
}

Status Store::ReplayWal(uint64_t sealed_through, uint64_t* last_seq) {
  std::string dir = options_.directory + "/wal";
  for (uint64_t seq : ListWalFiles(dir)) {
    *last_seq = std::max(*last_seq, seq);
    std::string path = dir + "/" + WalFileName(seq);
    if (seq <= sealed_through) {
      RemoveOrWarn(path);  // already in a segment
      continue;
    }
    Result<WalContents> contents = ReadWalFile(path, /*truncate=*/true);
    if (!contents.ok()) return contents.status();
    if (!contents->damage.empty()) {
      logger_->warn("store: {}; truncated the WAL to its last valid record ({} of {} bytes)",
                    contents->damage, contents->valid_bytes, contents->file_bytes);
    }
    for (size_t i = 0; i < contents->records.size(); ++i) {
      Traces traces;
      std::string_view bytes = traces.Adopt(std::move(contents->records[i]));
      if (Status st = otlp::DecodeTracesProto(bytes, &traces); !st.ok()) {
        return Status::InvalidArgument(fmt::format(
            "{}: record {} passed its checksum but does not decode: {}", path, i, st.message()));
      }
      head_->Append(traces, seq);
    }
  }
  return Status::Ok();
}

Status Store::Recover() {
  for (const char* sub : {"", "/wal", "/segments"}) {
    if (Status st = CreateDirectories(options_.directory + sub); !st.ok()) return st;
  }
  if (Status st = LockDirectory(); !st.ok()) return st;
  uint64_t sealed_through = 0;
  if (Status st = OpenSegments(&sealed_through); !st.ok()) return st;
  uint64_t last_seq = sealed_through;
  if (Status st = ReplayWal(sealed_through, &last_seq); !st.ok()) return st;
  if (head_->table().rows() > 0) {
    logger_->info("store: replayed {} spans from the WAL", head_->table().rows());
  }
  Result<std::unique_ptr<WalWriter>> wal = WalWriter::Open(
      {options_.directory + "/wal", options_.fsync, options_.fsync_interval}, last_seq + 1);
  if (!wal.ok()) return wal.status();
  wal_ = std::move(*wal);
  return Status::Ok();
}

Status Store::Append(const Traces& traces) {
  if (traces.empty()) return Status::Ok();
  // Frozen heads are memory not yet on disk: while sealing falls behind,
  // producers wait for it (backpressure: ingest slows to the disk's pace),
  // and past seal_wait (a slow or full disk) they are refused; clients retry.
  if (!WaitForSealRoom()) {
    return Status::ResourceExhausted(fmt::format(
        "store: {} head blocks are waiting to be written to disk; retry later", kMaxFrozenHeads));
  }
  // The WAL record is the batch's OTLP request: as received when the
  // pipeline did not change it, else encoded.
  std::string encoded;
  std::string_view encoded_view;
  const std::vector<std::string_view>* wire = traces.wire();
  if (wire == nullptr) {
    encoded = otlp::EncodeTracesProto(traces);
    encoded_view = encoded;
  }
  std::span<const std::string_view> payload =
      wire ? std::span<const std::string_view>(*wire) : std::span(&encoded_view, 1);
  std::shared_lock ingest(ingest_mu_);
  if (Status st = wal_->Append(payload); !st.ok()) {
    return Status::Unavailable(fmt::format("store: {}", st.message()));
  }
  bool full;
  {
    std::unique_lock lock(mu_);
    head_->Append(traces, wal_->seq());
    full = head_->MemoryBytes() >= options_.segment_max_bytes;
  }
  if (full) {
    ingest.unlock();
    FreezeFullHead();
    stop_cv_.notify_all();  // wakes the sealer now, not at its next tick
  }
  return Status::Ok();
}

void Store::FreezeFullHead() {
  std::unique_lock ingest(ingest_mu_);
  std::unique_lock lock(mu_);
  // Another producer may have frozen it first; with no room, the next
  // Append waits (WaitForSealRoom) and the head grows by no more than that.
  if (head_->MemoryBytes() < options_.segment_max_bytes || sealing_.size() >= kMaxFrozenHeads) {
    return;
  }
  uint64_t sealed_through = wal_->seq();
  if (Status st = wal_->Rotate(); !st.ok()) {
    logger_->warn("store: freezing a full head: {} (the sealer retries)", st.message());
    return;
  }
  sealing_.push_back({head_, sealed_through});
  head_ = std::make_shared<HeadBlock>(ExpectedHeadRows(options_));
}

bool Store::WaitForSealRoom() {
  auto room = [this] {
    std::shared_lock lock(mu_);
    return sealing_.size() < kMaxFrozenHeads;
  };
  if (room()) return true;
  std::unique_lock lock(stop_mu_);
  return stop_cv_.wait_for(lock, options_.seal_wait, [&] { return stopping_ || room(); }) &&
         !stopping_;
}

bool Store::HeadNeedsSealing() const {
  std::shared_lock lock(mu_);
  if (head_->table().rows() == 0) return false;
  return head_->MemoryBytes() >= options_.segment_max_bytes ||
         std::chrono::steady_clock::now() - head_->created() >= options_.segment_max_duration;
}

Status Store::SealHead() {
  std::lock_guard seal(seal_mu_);
  {
    std::unique_lock ingest(ingest_mu_);
    std::unique_lock lock(mu_);
    if (head_->table().rows() > 0) {
      uint64_t sealed_through = wal_->seq();
      if (Status st = wal_->Rotate(); !st.ok()) return st;
      sealing_.push_back({head_, sealed_through});
      head_ = std::make_shared<HeadBlock>(ExpectedHeadRows(options_));
    }
  }
  return SealFrozenHeads();
}

// Seals frozen heads oldest first; stops at the first failure so WAL files
// are only ever deleted below a fully sealed prefix. REQUIRES: seal_mu_ held.
Status Store::SealFrozenHeads() {
  while (true) {
    FrozenHead frozen;
    {
      std::shared_lock lock(mu_);
      if (sealing_.empty()) return Status::Ok();
      frozen = sealing_.front();
    }
    uint64_t id = next_segment_id_++;
    const SpanTable& table = frozen.head->table();
    std::vector<uint32_t> order = frozen.head->SortedRows();
    SegmentMeta meta;
    meta.id = id;
    meta.max_wal_seq = frozen.sealed_through;
    meta.written_unix_nanos = UnixNanosNow();
    // zstd level 3, as compaction of the open window: 0.1 bytes per span
    // fewer than level 1 on the demo load, for no CPU difference measurable
    // in the ingest benchmark (docs/BENCHMARKS.md).
    Result<uint64_t> size =
        WriteSegment(SegmentPath(id), table, order, meta,
                     {.row_group_rows = options_.row_group_rows,
                      .zstd_level = std::min(options_.compaction_zstd_level, 3)});
    Result<std::shared_ptr<SegmentReader>> reader =
        size.ok() ? SegmentReader::Open(SegmentPath(id))
                  : Result<std::shared_ptr<SegmentReader>>(size.status());
    if (!reader.ok()) {
      logger_->error("store: sealing {} spans failed (kept in memory and WAL, will retry): {}",
                     table.rows(), reader.status().message());
      return reader.status();
    }
    (*reader)->WarmValueTables();
    {
      std::unique_lock lock(mu_);
      segments_.push_back(*reader);
      sealing_.erase(sealing_.begin());
    }
    {
      std::lock_guard lock(stop_mu_);  // a producer may be waiting for the room (WaitForSealRoom)
    }
    stop_cv_.notify_all();
    for (uint64_t seq : ListWalFiles(options_.directory + "/wal")) {
      if (seq <= frozen.sealed_through)
        RemoveOrWarn(options_.directory + "/wal/" + WalFileName(seq));
    }
    logger_->debug("store: sealed {} spans into {} ({} bytes)", table.rows(), SegmentFileName(id),
                   *size);
  }
}

// Sealing has its own thread so that a long compaction never lets the head
// (memory) grow: Append wakes it as soon as the head is full.
void Store::UpdateGauges() const {
  if (gauges_.segments == nullptr) return;
  std::shared_lock lock(mu_);
  uint64_t bytes = 0, spans = 0, head = head_->table().rows();
  for (const auto& seg : segments_) {
    bytes += seg->file_bytes();
    spans += seg->meta().spans;
  }
  for (const FrozenHead& f : sealing_) head += f.head->table().rows();
  gauges_.segments->Set(static_cast<int64_t>(segments_.size()));
  gauges_.segment_bytes->Set(static_cast<int64_t>(bytes));
  gauges_.segment_spans->Set(static_cast<int64_t>(spans));
  gauges_.head_spans->Set(static_cast<int64_t>(head));
}

void Store::SealLoop() {
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    stop_cv_.wait_for(lock, std::chrono::milliseconds(250));
    if (stopping_) break;
    lock.unlock();
    UpdateGauges();
    Status sealed;
    if (HeadNeedsSealing()) {
      sealed = SealHead();
    } else {
      std::lock_guard seal(seal_mu_);
      sealed = SealFrozenHeads();  // retries a seal that failed before
    }
    if (!sealed.ok()) logger_->error("store: sealing failed (retried): {}", sealed.message());
    lock.lock();
  }
}

void Store::CompactionLoop() {
  // The segments found at the start: their shares of the service map, so
  // that the first map after a restart does not read the whole store.
  {
    std::shared_lock lock(mu_);
    std::vector<std::shared_ptr<SegmentReader>> found = segments_;
    lock.unlock();
    KeepGraphShares(std::move(found));
  }
  std::unique_lock lock(stop_mu_);
  while (!stopping_) {
    // Woken early only by Close (the sealer's wake-ups do not count).
    auto next = std::chrono::steady_clock::now() + options_.maintenance_interval;
    if (stop_cv_.wait_until(lock, next, [&] { return stopping_; })) break;
    lock.unlock();
    if (Status st = RunMaintenance(); !st.ok()) {
      logger_->error("store: maintenance failed (retried): {}", st.message());
    }
    lock.lock();
  }
}

void Store::Close() {
  {
    std::lock_guard lock(stop_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  stop_cv_.notify_all();
  if (sealer_.joinable()) sealer_.join();
  if (compactor_.joinable()) compactor_.join();
  if (wal_) {
    if (options_.seal_on_close) {  // so the next start has nothing to replay
      if (Status st = SealHead(); !st.ok()) {
        logger_->error("store: sealing at close failed (the WAL is replayed instead): {}",
                       st.message());
      }
    }
    wal_->Close();
  }
}

}  // namespace polytrace::store
