// The `file_storage` extension: a directory on disk where components keep
// state across restarts (persistent sending queues), as the Collector's
// extension/storage/filestorage.
#pragma once

#include "pipeline/factory.h"
#include "pipeline/storage.h"

namespace polytrace {

class FileStorageConfig : public ComponentConfig {
 public:
  std::string directory = "/var/lib/otelcol/file_storage";
  std::chrono::nanoseconds timeout = std::chrono::seconds(1);
  bool create_directory = false;
  Status Unmarshal(ConfigReader& reader) override;
};

class FileStorageExtension : public StorageExtension {
 public:
  explicit FileStorageExtension(FileStorageConfig config) : config_(std::move(config)) {}
  Status Start(Host& host) override;
  void Shutdown() override {}
  Result<std::string> DirectoryFor(const std::string& kind,
                                   const std::string& component_id) override;

 private:
  FileStorageConfig config_;
};

std::unique_ptr<ExtensionFactory> NewFileStorageExtensionFactory();

}  // namespace polytrace
