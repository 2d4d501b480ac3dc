// The `file` exporter: one ExportTraceServiceRequest per line as OTLP JSON
// (or length-prefixed protobuf), with size-based rotation. Each batch is
// written and flushed before ConsumeTraces returns, so a reader (or a test)
// sees every acknowledged span.
#pragma once

#include <cstdio>
#include <mutex>

#include "pipeline/component.h"
#include "pipeline/factory.h"

namespace polytrace {

class FileExporterConfig : public ComponentConfig {
 public:
  std::string path;
  std::string format = "json";  // json | proto
  std::string compression;      // "" | zstd
  bool append = false;
  std::chrono::milliseconds flush_interval{1000};
  bool rotation_enabled = false;
  uint64_t max_megabytes = 100;
  uint64_t max_days = 0;
  uint64_t max_backups = 100;
  bool localtime = false;

  Status Unmarshal(ConfigReader& reader) override;
  Status Validate() const override;
};

class FileExporter : public Exporter {
 public:
  FileExporter(Settings settings, FileExporterConfig config)
      : settings_(std::move(settings)), config_(std::move(config)) {}
  ~FileExporter() override { Shutdown(); }
  Status Start(Host& host) override;
  void Shutdown() override;
  Status ConsumeTraces(Traces traces) override;

 private:
  Status Open(bool append);
  Status RotateIfNeeded();
  void PruneBackups();

  Settings settings_;
  FileExporterConfig config_;
  std::mutex mu_;
  FILE* file_ = nullptr;  // guarded by mu_
  uint64_t size_ = 0;     // guarded by mu_
};

std::unique_ptr<ExporterFactory> NewFileExporterFactory();

}  // namespace polytrace
