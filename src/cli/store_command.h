// `polytrace store stats DIR` and `polytrace store check DIR`: read-only
// looks at a store directory (safe while polytrace runs on it);
// `polytrace store compact DIR`: the final merge, on a stopped store.
#pragma once

#include <string>

namespace polytrace {

// Exit codes: 0 ok, 1 damage found (check) or unreadable directory.
int RunStoreStats(const std::string& directory, bool json);
int RunStoreCheck(const std::string& directory, bool json);
// `polytrace store compact DIR`: merges every compaction window now, as if
// each had closed (the final merge, with `zstd_level`), on a store no server
// has open. Prints segments and bytes before and after, and the CPU it took.
int RunStoreCompact(const std::string& directory, int zstd_level, bool json);

}  // namespace polytrace
