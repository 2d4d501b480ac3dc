#include "cli/run.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <chrono>

#include "service/service.h"
#include "service/telemetry_server.h"
#include "telemetry/logging.h"
#include "telemetry/metrics.h"

namespace polytrace {
namespace {

// Blocks SIGINT/SIGTERM in this thread and every thread started after it, so
// that only WaitForSignal() receives them.
sigset_t BlockShutdownSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  return set;
}

// Raises the soft limit on open descriptors to the hard limit, as Go's
// runtime does at start: the soft default (1,024) is a legacy of select()
// and runs out at a thousand idle connections. Returns the limit in force.
rlim_t RaiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return 0;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) return raised.rlim_cur;
  }
  return limit.rlim_cur;
}

}  // namespace

int RunCollector(CollectorConfig config, const ComponentRegistry& registry, const char* version) {
  sigset_t signals = BlockShutdownSignals();
  SetLogLevel(config.telemetry.log_level);
  auto log = MakeLogger("service");
  rlim_t open_files = RaiseOpenFileLimit();
  log->debug("open file limit: {}", static_cast<uint64_t>(open_files));
  auto started_at = std::chrono::steady_clock::now();

  MetricsRegistry metrics;
  metrics.AddCallbackGauge("otelcol_process_memory_rss",
                           "Total physical memory (resident set size) in bytes.",
                           [] { return static_cast<double>(ProcessRssBytes()); });
  metrics.AddCallbackGauge(
      "otelcol_process_uptime", "Uptime of the process in seconds.", [started_at] {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_at).count();
      });

  TelemetryServer telemetry(config.telemetry.metrics_address, &metrics,
                            config.telemetry.metrics_tls);
  Status st = telemetry.Start();
  if (!st.ok()) {
    log->error("cannot start the telemetry endpoint: {}", st.message());
    return 1;
  }

  Result<std::unique_ptr<Service>> service = Service::Create(std::move(config), registry, &metrics);
  if (!service.ok()) {
    log->error("cannot build the pipelines: {}", service.status().message());
    return 1;
  }
  st = (*service)->Start();
  if (!st.ok()) {
    log->error("{}", st.message());
    return 1;
  }
  telemetry.SetReady(true);
  log->info("polytrace {} started; send OTLP traces, Ctrl-C to stop", version);

  int sig = 0;
  sigwait(&signals, &sig);
  log->info("received {}, shutting down", sig == SIGINT ? "SIGINT" : "SIGTERM");
  telemetry.SetReady(false);
  (*service)->Shutdown();
  telemetry.Shutdown();
  log->info("shutdown complete");
  return 0;
}

}  // namespace polytrace
