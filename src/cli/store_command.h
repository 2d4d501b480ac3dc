// `polytrace store stats DIR` and `polytrace store check DIR`: read-only
// looks at a store directory (safe while polytrace runs on it).
#pragma once

#include <string>

namespace polytrace {

// Exit codes: 0 ok, 1 damage found (check) or unreadable directory.
int RunStoreStats(const std::string& directory, bool json);
int RunStoreCheck(const std::string& directory, bool json);

}  // namespace polytrace
