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

// A run's entries, sorted by (id, group, service), each as three varints:
// id delta; group, as a delta from the previous entry's when the id is the
// same; service. About three bytes an entry.
constexpr size_t kMaxEntryBytes = 15;
constexpr size_t kReadSlice = 64 << 10;

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
  for (auto& [key, entries] : held_) {
    if (entries.empty()) continue;
    std::sort(entries.begin(), entries.end());
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
    for (auto& [k, entries] : held_) std::sort(entries.begin(), entries.end());
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
  std::sort(out->begin(), out->end());
  out->erase(std::unique(out->begin(), out->end()), out->end());
  return Status::Ok();
}

}  // namespace polytrace::store
