#include "exporters/polytrace_store/polytrace_store_exporter.h"

#include <fmt/format.h>

#include "telemetry/metrics.h"

namespace polytrace {

Status PolytraceStoreConfig::Unmarshal(ConfigReader& r) {
  store::StoreOptions& o = options;
  POLYTRACE_RETURN_IF_ERROR(r.Read("directory", &o.directory));
  std::string fsync;
  POLYTRACE_RETURN_IF_ERROR(r.Read("fsync", &fsync));
  if (fsync == "always") {
    o.fsync = store::FsyncPolicy::kAlways;
  } else if (fsync == "never") {
    o.fsync = store::FsyncPolicy::kNever;
  } else if (!fsync.empty() && fsync != "interval") {
    return r.KeyError("fsync", fmt::format("\"{}\" is not always, interval or never", fsync));
  }
  POLYTRACE_RETURN_IF_ERROR(r.Read("fsync_interval", &o.fsync_interval));
  Result<ConfigReader> segment = r.Child("segment");
  if (!segment.ok()) return segment.status();
  uint64_t max_size_mib = o.segment_max_bytes >> 20;
  POLYTRACE_RETURN_IF_ERROR(segment->Read("max_size_mib", &max_size_mib));
  o.segment_max_bytes = max_size_mib << 20;
  POLYTRACE_RETURN_IF_ERROR(segment->Read("max_duration", &o.segment_max_duration));
  POLYTRACE_RETURN_IF_ERROR(segment->Read("row_group_spans", &o.row_group_rows));
  POLYTRACE_RETURN_IF_ERROR(segment->Finish());
  Result<ConfigReader> compaction = r.Child("compaction");
  if (!compaction.ok()) return compaction.status();
  POLYTRACE_RETURN_IF_ERROR(compaction->Read("window", &o.compaction_window));
  uint64_t mib_per_second = o.compaction_max_bytes_per_second >> 20;
  POLYTRACE_RETURN_IF_ERROR(compaction->Read("max_mib_per_second", &mib_per_second));
  o.compaction_max_bytes_per_second = mib_per_second << 20;
  POLYTRACE_RETURN_IF_ERROR(compaction->Read("interval", &o.maintenance_interval));
  uint64_t max_segment_mib = o.compaction_max_segment_bytes >> 20;
  POLYTRACE_RETURN_IF_ERROR(compaction->Read("max_segment_size_mib", &max_segment_mib));
  POLYTRACE_RETURN_IF_ERROR(compaction->Read("zstd_level", &o.compaction_zstd_level));
  o.compaction_max_segment_bytes = max_segment_mib << 20;
  POLYTRACE_RETURN_IF_ERROR(compaction->Finish());
  Result<ConfigReader> retention = r.Child("retention");
  if (!retention.ok()) return retention.status();
  POLYTRACE_RETURN_IF_ERROR(retention->Read("max_age", &o.retention_max_age));
  uint64_t max_mib = o.retention_max_bytes >> 20;
  POLYTRACE_RETURN_IF_ERROR(retention->Read("max_size_mib", &max_mib));
  o.retention_max_bytes = max_mib << 20;
  POLYTRACE_RETURN_IF_ERROR(retention->Finish());
  return r.Finish();
}

Status PolytraceStoreConfig::Validate() const {
  if (options.directory.empty()) return Status::InvalidArgument("\"directory\" must be set");
  if (options.fsync_interval.count() <= 0) {
    return Status::InvalidArgument("\"fsync_interval\" must be positive");
  }
  if (options.segment_max_bytes == 0) {
    return Status::InvalidArgument("\"segment.max_size_mib\" must be at least 1");
  }
  if (options.segment_max_duration.count() <= 0) {
    return Status::InvalidArgument("\"segment.max_duration\" must be positive");
  }
  if (options.row_group_rows == 0) {
    return Status::InvalidArgument("\"segment.row_group_spans\" must be at least 1");
  }
  if (options.compaction_window.count() <= 0) {
    return Status::InvalidArgument("\"compaction.window\" must be positive");
  }
  if (options.compaction_zstd_level < 1 || options.compaction_zstd_level > 19) {
    return Status::InvalidArgument("\"compaction.zstd_level\" must be 1 to 19");
  }
  if (options.maintenance_interval.count() <= 0) {
    return Status::InvalidArgument("\"compaction.interval\" must be positive");
  }
  return Status::Ok();
}

Status PolytraceStoreExporter::Start(Host& host) {
  Labels labels{{"exporter", settings_.id.ToString()}};
  accepted_ =
      &host.metrics().GetCounter("otelcol_exporter_sent_spans", "Spans successfully sent.", labels);
  failed_ = &host.metrics().GetCounter("otelcol_exporter_send_failed_spans",
                                       "Spans that failed to be sent.", labels);
  MetricsRegistry& m = host.metrics();
  store::StoreGauges gauges{
      &m.GetGauge("polytrace_store_segments", "Segment files in the store.", labels),
      &m.GetGauge("polytrace_store_segment_bytes", "Bytes of segment files.", labels),
      &m.GetGauge("polytrace_store_segment_spans", "Spans in segment files.", labels),
      &m.GetGauge("polytrace_store_head_spans",
                  "Spans in memory and the WAL, searchable, not yet in a segment.", labels)};
  Result<std::unique_ptr<store::Store>> store =
      store::Store::Open(config_.options, settings_.logger, gauges);
  if (!store.ok()) return store.status();
  store_ = std::move(*store);
  store_ready_ = true;
  store::StoreStats stats = store_->Stats();
  settings_.logger->info("store open at {}: {} spans in {} segments, {} in the head",
                         config_.options.directory, stats.spans, stats.segments, stats.head_spans);
  return Status::Ok();
}

void PolytraceStoreExporter::Shutdown() {
  store_ready_ = false;
  if (store_) store_->Close();
}

Status PolytraceStoreExporter::ConsumeTraces(Traces traces) {
  if (!store_ready_) return Status::Unavailable("polytrace_store: not started");
  size_t spans = traces.SpanCount();
  Status st = store_->Append(traces);
  (st.ok() ? accepted_ : failed_)->Add(spans);
  return st;
}

namespace {

class PolytraceStoreExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "polytrace_store"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<PolytraceStoreConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                           const ComponentConfig& config) const override {
    return ExporterPtr(std::make_unique<PolytraceStoreExporter>(
        settings, static_cast<const PolytraceStoreConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewPolytraceStoreExporterFactory() {
  return std::make_unique<PolytraceStoreExporterFactory>();
}

}  // namespace polytrace
