// POSIX file helpers for the store: full writes, atomic replace, directory
// sync. Errors name the file and the OS reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace polytrace::store {

Status WriteFully(int fd, std::string_view data, const std::string& what);
Result<std::string> ReadWholeFile(const std::string& path);
Status TruncateFile(const std::string& path, uint64_t size);
// Writes `path` through a temporary file, fsync and rename, then syncs the
// directory: readers see the old file or the whole new one, never a part.
Status WriteFileAtomically(const std::string& path, std::string_view data);
Status CreateDirectories(const std::string& path);
void SyncDirectory(const std::string& path);
// Names (not paths) of the entries of `path`, unsorted; empty if unreadable.
std::vector<std::string> ListDirectory(const std::string& path);
Status RemoveFile(const std::string& path);

}  // namespace polytrace::store
