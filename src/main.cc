#include <absl/synchronization/mutex.h>

#include "cli/cli.h"

int main(int argc, char** argv) {
  // Debian's Abseil keeps a lock-order graph for every absl::Mutex (gRPC's
  // locks) to detect deadlocks, a debug aid: stack captures and graph
  // updates on the request path (2% of the collector's CPU on tiny spans).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  return polytrace::RunCli(argc, argv);
}
