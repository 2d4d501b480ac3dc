#include "store/segment/value_postings.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/format/coding.h"

namespace polytrace::store {
namespace {

// A run's entries, by id, then group (services within a group in any
// order), each as three varints:
// id delta; group, as a delta from the previous entry's when the id is the
// same; service. About three bytes an entry.
constexpr size_t kMaxEntryBytes = 15;
constexpr size_t kReadSlice = 64 << 10;

// Orders `entries` by id, keeping their order within an id (by group, as
// they were added): a counting sort, one pass over them and one over the
// ids (std::sort of 4M entries was a twentieth of a compaction's CPU).
void SortById(const std::vector<PostingsCollector::Entry>& entries,
              std::vector<PostingsCollector::Entry>* sorted, std::vector<size_t>* starts) {
  uint32_t max_id = 0;
  for (const auto& e : entries) max_id = std::max(max_id, e.id);
  starts->assign(size_t(max_id) + 2, 0);
  for (const auto& e : entries) ++(*starts)[e.id + 1];
  for (size_t i = 1; i < starts->size(); ++i) (*starts)[i] += (*starts)[i - 1];
  sorted->resize(entries.size());
  for (const auto& e : entries) (*sorted)[(*starts)[e.id]++] = e;
}

}  // namespace

PostingsCollector::PostingsCollector(size_t max_held, std::string spill_directory)
    : max_held_(max_held), spill_directory_(std::move(spill_directory)) {}

PostingsCollector::~PostingsCollector() {
  if (fd_ >= 0) ::close(fd_);
}

void PostingsCollector::Add(uint32_t key, const Entry& e) {
  if (dropped_) return;
  held_[key].push_back(e);
  if (++held_count_ < max_held_) return;
  if (spill_directory_.empty()) {
    if (held_count_ > max_held_) Drop();
    return;
  }
  if (!Spill().ok()) Drop();
}

void PostingsCollector::Drop() {
  dropped_ = true;
  held_.clear();
  held_count_ = 0;
  runs_.clear();
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

Status PostingsCollector::Spill() {
  if (fd_ < 0) {
    std::string name = spill_directory_ + "/.postings-XXXXXX";
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) {
      return Status::Unavailable(fmt::format("create {}: {}", name, std::strerror(errno)));
    }
    ::unlink(name.c_str());  // gone with the descriptor, whatever happens
  }
  std::map<uint32_t, Section>& run = runs_.emplace_back();
  std::string out;
  std::vector<Entry> sorted;
  std::vector<size_t> starts;
  for (auto& [key, entries] : held_) {
    if (entries.empty()) continue;
    SortById(entries, &sorted, &starts);
    entries.swap(sorted);
    std::vector<Entry>().swap(sorted);
    out.clear();
    uint32_t previous_id = 0, previous_group = 0;
    for (const Entry& e : entries) {
      PutVarint(&out, e.id - previous_id);
      PutVarint(&out, e.id == previous_id ? e.group - previous_group : e.group);
      PutVarint(&out, e.service);
      previous_id = e.id;
      previous_group = e.group;
    }
    for (size_t done = 0; done < out.size();) {
      ssize_t n = ::pwrite(fd_, out.data() + done, out.size() - done, off_t(file_bytes_ + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Status::Unavailable(
            fmt::format("spilling value postings: {}", n < 0 ? std::strerror(errno) : "no space"));
      }
      done += size_t(n);
    }
    run[key] = {file_bytes_, out.size(), entries.size()};
    file_bytes_ += out.size();
    std::vector<Entry>().swap(entries);
  }
  held_count_ = 0;
  return Status::Ok();
}

Result<PostingsCollector::Pass> PostingsCollector::Read(uint32_t key, uint8_t shift) {
  if (dropped_) return Status::Internal("value postings were dropped");
  if (!sorted_) {
    std::vector<Entry> sorted;
    std::vector<size_t> starts;
    for (auto& [k, entries] : held_) {
      SortById(entries, &sorted, &starts);
      entries.swap(sorted);
    }
    sorted_ = true;
  }
  Pass pass;
  pass.owner_ = this;
  pass.shift_ = shift;
  static const std::vector<Entry> kNone;
  auto held = held_.find(key);
  pass.held_ = held == held_.end() ? &kNone : &held->second;
  for (const auto& sections : runs_) {
    auto it = sections.find(key);
    if (it == sections.end()) continue;
    Pass::Run& run = pass.runs_.emplace_back();
    run.offset = it->second.offset;
    run.end = it->second.offset + it->second.bytes;
    run.left = it->second.entries;
    if (Status st = pass.Advance(run); !st.ok()) return st;
  }
  return pass;
}

Status PostingsCollector::Pass::Advance(Run& run) {
  run.has_head = false;
  if (run.left == 0) return Status::Ok();
  if (run.buffer.size() - run.at < kMaxEntryBytes && run.offset < run.end) {
    run.buffer.erase(0, run.at);
    run.at = 0;
    size_t want = size_t(std::min<uint64_t>(kReadSlice, run.end - run.offset));
    size_t had = run.buffer.size();
    run.buffer.resize(had + want);
    for (size_t done = 0; done < want;) {
      ssize_t n = ::pread(owner_->fd_, run.buffer.data() + had + done, want - done,
                          off_t(run.offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return Status::Unavailable(fmt::format("reading spilled value postings: {}",
                                               n < 0 ? std::strerror(errno) : "short read"));
      }
      done += size_t(n);
    }
    run.offset += want;
  }
  ByteReader in(std::string_view(run.buffer).substr(run.at));
  uint32_t id_delta, group, service;
  if (!in.GetVarint32(&id_delta) || !in.GetVarint32(&group) || !in.GetVarint32(&service)) {
    return Status::Internal("spilled value postings are damaged");
  }
  run.at = run.buffer.size() - in.remaining();
  run.head.id = run.previous_id + id_delta;
  run.head.group = id_delta == 0 ? run.previous_group + group : group;
  run.head.service = service;
  run.previous_id = run.head.id;
  run.previous_group = run.head.group;
  run.has_head = true;
  --run.left;
  return Status::Ok();
}

Status PostingsCollector::Pass::Next(uint32_t id, std::vector<std::pair<uint32_t, uint32_t>>* out) {
  out->clear();
  for (Run& run : runs_) {
    while (run.has_head && run.head.id <= id) {
      if (run.head.id == id) out->emplace_back(run.head.group >> shift_, run.head.service);
      if (Status st = Advance(run); !st.ok()) return st;
    }
  }
  while (held_at_ < held_->size() && (*held_)[held_at_].id <= id) {
    const Entry& e = (*held_)[held_at_++];
    if (e.id == id) out->emplace_back(e.group >> shift_, e.service);
  }
  // Runs hold ever later groups, memory the latest: the pairs come by
  // group, so blocks ascend and only each block's few services need
  // ordering (a sort of the whole list was a tenth of a compaction's CPU).
  for (auto begin = out->begin(); begin != out->end();) {
    auto end =
        std::find_if(begin, out->end(), [&](const auto& p) { return p.first != begin->first; });
    if (end - begin > 1) std::sort(begin, end);
    begin = end;
  }
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return Status::Ok();
}

}  // namespace polytrace::store
