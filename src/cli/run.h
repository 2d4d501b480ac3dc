// RunCollector: start the service and the self-telemetry endpoint, wait for
// SIGINT/SIGTERM, then shut down cleanly (flushing batches and queues).
#pragma once

#include "pipeline/registry.h"
#include "service/collector_config.h"

namespace polytrace {

// Returns the process exit code.
int RunCollector(CollectorConfig config, const ComponentRegistry& registry, const char* version);

}  // namespace polytrace
