// ReloadingFile<T>: a small file an extension reads a secret from (a bearer
// token, a password), parsed into a T and re-read when the file changes.
//
// The Collector watches such files with fsnotify; here the file's identity
// (inode, size, mtime, ctime) is checked on use, at most once per
// check_interval, which needs no watcher thread and also follows the
// symlink swaps Kubernetes does for mounted secrets. A reload that fails (a
// missing or half-written file) keeps the previous value and is reported
// through log_error; it is retried at the next check.
//
// Thread-safe: Get() may be called from any thread; mu_ guards the state.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "core/status.h"

namespace polytrace {

// What says a file changed. All zero when the file cannot be stat'ed.
struct FileStamp {
  int64_t device = 0, inode = 0, size = 0, mtime_ns = 0, ctime_ns = 0;
  bool operator==(const FileStamp&) const = default;
};
FileStamp StampFile(const std::string& path);

// The whole file; an error naming the path if it cannot be read.
Result<std::string> ReadWholeFile(const std::string& path);

template <typename T>
class ReloadingFile {
 public:
  // Turns the file's content into a T; an error keeps the previous T.
  using Parser = std::function<Result<T>(const std::string& content)>;
  using LogError = std::function<void(const std::string&)>;

  ReloadingFile(std::string path, Parser parse,
                std::chrono::nanoseconds check_interval = std::chrono::seconds(1),
                LogError log_error = nullptr)
      : path_(std::move(path)),
        parse_(std::move(parse)),
        check_interval_(check_interval),
        log_error_(std::move(log_error)) {}

  // Reads and parses the file now (at Start): an error if either fails.
  Status Load() {
    std::lock_guard<std::mutex> lock(mu_);
    return LoadLocked();
  }

  // The current value, re-read first if a check is due and the file changed.
  // An error only while no read has ever succeeded.
  Result<std::shared_ptr<const T>> Get() {
    std::lock_guard<std::mutex> lock(mu_);
    if (current_ == nullptr) {
      POLYTRACE_RETURN_IF_ERROR(LoadLocked());
      return current_;
    }
    auto now = std::chrono::steady_clock::now();
    if (now < next_check_) return current_;
    next_check_ =
        now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(check_interval_);
    if (StampFile(path_) == stamp_) return current_;
    Status reloaded = LoadLocked();
    if (!reloaded.ok() && log_error_) {
      log_error_(reloaded.message() + " (keeping the previous value)");
    }
    return current_;
  }

  const std::string& path() const { return path_; }

 private:
  // REQUIRES: mu_ held.
  Status LoadLocked() {
    // Stamped before reading: a write racing the read changes the stamp
    // again, so the next check reloads.
    FileStamp stamp = StampFile(path_);
    Result<std::string> content = ReadWholeFile(path_);
    if (!content.ok()) return content.status();
    Result<T> parsed = parse_(content.value());
    if (!parsed.ok()) return parsed.status();
    current_ = std::make_shared<const T>(std::move(parsed.value()));
    stamp_ = stamp;
    next_check_ = std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(check_interval_);
    return Status::Ok();
  }

  const std::string path_;
  const Parser parse_;
  const std::chrono::nanoseconds check_interval_;
  const LogError log_error_;

  std::mutex mu_;
  std::shared_ptr<const T> current_;                  // guarded by mu_
  FileStamp stamp_;                                   // guarded by mu_
  std::chrono::steady_clock::time_point next_check_;  // guarded by mu_
};

// Go's strings.TrimSpace for ASCII: the whitespace around a token or a
// password read from a file (the trailing newline editors add).
std::string TrimAsciiSpace(std::string_view text);

}  // namespace polytrace
