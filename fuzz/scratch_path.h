// A file or directory a fuzzing process works in, under the temporary
// directory and named by its pid, removed when the process exits so that
// repeated CI runs leave nothing behind.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>

namespace polytrace::fuzz {

class ScratchPath {
 public:
  explicit ScratchPath(std::string_view stem, std::string_view suffix = "")
      : path_((std::filesystem::temp_directory_path() /
               (std::string(stem) + "_" + std::to_string(getpid()) + std::string(suffix)))
                  .string()) {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ~ScratchPath() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchPath(const ScratchPath&) = delete;
  ScratchPath& operator=(const ScratchPath&) = delete;

  const std::string& str() const { return path_; }

 private:
  std::string path_;
};

}  // namespace polytrace::fuzz
