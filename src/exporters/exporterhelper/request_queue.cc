#include "exporters/exporterhelper/request_queue.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <vector>

namespace polytrace {
namespace fs = std::filesystem;

namespace {

// File layout: magic "PTQ1", u64 spans, u32 payload length, u32 crc32(payload), payload.
constexpr char kMagic[4] = {'P', 'T', 'Q', '1'};
constexpr size_t kHeader = 4 + 8 + 4 + 4;

std::string FileName(uint64_t id) { return fmt::format("{:020}.req", id); }

bool WriteAll(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = ::write(fd, data, n);
    if (w <= 0) return false;
    data += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

void SyncDirectory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

}  // namespace

RequestQueue::RequestQueue(int64_t capacity, bool count_spans, std::string directory)
    : capacity_(capacity), count_spans_(count_spans), directory_(std::move(directory)) {}

Result<size_t> RequestQueue::Recover() {
  if (directory_.empty()) return size_t{0};
  std::error_code ec;
  fs::create_directories(directory_, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot create {}: {}", directory_, ec.message()));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(directory_, ec)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".tmp")) {
      fs::remove(entry.path(), ec);  // a write that never completed was never acknowledged
    } else if (name.ends_with(".req")) {
      files.push_back(entry.path());
    }
  }
  std::sort(files.begin(), files.end());
  size_t loaded = 0;
  std::lock_guard<std::mutex> lock(mu_);
  for (const fs::path& p : files) {
    std::ifstream in(p, std::ios::binary);
    std::string data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::string stem = p.stem().string();
    uint64_t id = 0;
    auto [end, parse_error] = std::from_chars(stem.data(), stem.data() + stem.size(), id);
    if (parse_error != std::errc() || end != stem.data() + stem.size()) continue;  // not ours
    next_id_ = std::max(next_id_, id + 1);
    uint64_t spans = 0;
    uint32_t len = 0, crc = 0;
    bool valid = data.size() >= kHeader && std::memcmp(data.data(), kMagic, 4) == 0;
    if (valid) {
      std::memcpy(&spans, data.data() + 4, 8);
      std::memcpy(&len, data.data() + 12, 4);
      std::memcpy(&crc, data.data() + 16, 4);
      valid = data.size() == kHeader + len &&
              crc32(0, reinterpret_cast<const Bytef*>(data.data() + kHeader), len) == crc;
    }
    if (!valid) {
      // Damaged on disk: keep it aside for inspection rather than send garbage.
      fs::rename(p, p.string() + ".corrupt", ec);
      continue;
    }
    ExportRequest r{data.substr(kHeader), spans, id};
    used_ += Cost(r);
    items_.push_back(std::move(r));
    ++loaded;
  }
  return loaded;
}

Status RequestQueue::Persist(ExportRequest& request) {
  std::string final_path = directory_ + "/" + FileName(request.id);
  std::string tmp = final_path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return Status::Unavailable(fmt::format("cannot write {}: {}", tmp, strerror(errno)));
  char header[kHeader];
  uint32_t len = static_cast<uint32_t>(request.payload.size());
  uint32_t crc = crc32(0, reinterpret_cast<const Bytef*>(request.payload.data()), len);
  std::memcpy(header, kMagic, 4);
  std::memcpy(header + 4, &request.spans, 8);
  std::memcpy(header + 12, &len, 4);
  std::memcpy(header + 16, &crc, 4);
  bool ok = WriteAll(fd, header, kHeader) &&
            WriteAll(fd, request.payload.data(), request.payload.size()) && ::fdatasync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Status::Unavailable(fmt::format("cannot persist a queued request in {}", directory_));
  }
  SyncDirectory(directory_);
  return Status::Ok();
}

Status RequestQueue::Offer(ExportRequest request, bool block) {
  std::unique_lock<std::mutex> lock(mu_);
  int64_t cost = Cost(request);
  if (closed_) return Status::Unavailable("the exporter is shutting down");
  if (used_ + cost > capacity_ && used_ > 0) {
    if (!block) {
      return Status::Unavailable(fmt::format("sending queue is full ({} of {})", used_, capacity_));
    }
    not_full_.wait(lock, [&] { return closed_ || used_ + cost <= capacity_ || used_ == 0; });
    if (closed_) return Status::Unavailable("the exporter is shutting down");
  }
  request.id = next_id_++;
  if (!directory_.empty()) {
    // Written under the lock so that files are numbered in queue order.
    POLYTRACE_RETURN_IF_ERROR(Persist(request));
  }
  used_ += cost;
  items_.push_back(std::move(request));
  if (!idle_consumers_.empty()) {
    idle_consumers_.back()->notify_one();
    idle_consumers_.pop_back();
  }
  return Status::Ok();
}

std::optional<ExportRequest> RequestQueue::Take() { return TakeBefore(std::nullopt, nullptr); }

std::optional<ExportRequest> RequestQueue::TakeUntil(std::chrono::steady_clock::time_point deadline,
                                                     bool* timed_out) {
  return TakeBefore(deadline, timed_out);
}

std::optional<ExportRequest> RequestQueue::TakeBefore(
    std::optional<std::chrono::steady_clock::time_point> deadline, bool* timed_out) {
  std::unique_lock<std::mutex> lock(mu_);
  if (timed_out != nullptr) *timed_out = false;
  while (items_.empty() && !closed_) {
    std::condition_variable woken;
    idle_consumers_.push_back(&woken);
    bool expired = false;
    if (deadline) {
      expired = woken.wait_until(lock, *deadline) == std::cv_status::timeout;
    } else {
      woken.wait(lock);
    }
    // Woken spuriously or at the deadline, it is still listed (Offer and
    // Close unlist whom they wake).
    std::erase(idle_consumers_, &woken);
    if (expired && items_.empty() && !closed_) {
      *timed_out = true;
      return std::nullopt;
    }
  }
  if (items_.empty() || (closed_ && !drain_)) return std::nullopt;
  ExportRequest r = std::move(items_.front());
  items_.pop_front();
  used_ -= Cost(r);
  not_full_.notify_one();
  return r;
}

void RequestQueue::Done(const ExportRequest& request) {
  if (directory_.empty()) return;
  ::unlink((directory_ + "/" + FileName(request.id)).c_str());
}

void RequestQueue::Close(bool drain) {
  std::lock_guard<std::mutex> lock(mu_);
  closed_ = true;
  drain_ = drain;
  for (std::condition_variable* consumer : idle_consumers_) consumer->notify_one();
  idle_consumers_.clear();
  not_full_.notify_all();
}

int64_t RequestQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return used_;
}

size_t RequestQueue::idle_consumers() const {
  std::lock_guard<std::mutex> lock(mu_);
  return idle_consumers_.size();
}

}  // namespace polytrace
