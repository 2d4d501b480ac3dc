#include <absl/synchronization/mutex.h>
#include <malloc.h>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Debian's Abseil keeps a lock-order graph for every absl::Mutex (gRPC's
  // locks) to detect deadlocks, a debug aid: stack captures and graph
  // updates on the request path (2% of the collector's CPU on tiny spans).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // Request bodies and large decode blocks are mapped and unmapped. glibc's
  // default raises its mmap threshold to 32 MiB after the first such buffer
  // is freed, so later ones come from a thread's heap and stay resident once
  // freed: under hostile 20 MiB requests RSS grew past the memory limit
  // while the memory actually in use stayed under it.
  mallopt(M_MMAP_THRESHOLD, 1 << 20);
  // Memory freed at the top of a heap stays up to 8 MiB, not the default
  // 128 KiB: a query's tables and answer (hundreds of KiB) were given back
  // and faulted in again by the next query (a fifth of a cold search in
  // page faults). The memory limiter still returns it all (malloc_trim)
  // when the process is over its limit.
  mallopt(M_TRIM_THRESHOLD, 8 << 20);
  return polytrace::RunCli(argc, argv);
}
