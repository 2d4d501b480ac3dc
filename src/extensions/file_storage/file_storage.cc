#include "extensions/file_storage/file_storage.h"

#include <fmt/format.h>

#include <filesystem>

namespace polytrace {
namespace fs = std::filesystem;

Status FileStorageConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("directory", &directory));
  POLYTRACE_RETURN_IF_ERROR(r.Read("timeout", &timeout));
  POLYTRACE_RETURN_IF_ERROR(r.Read("create_directory", &create_directory));
  r.Raw("compaction");  // accepted: polytrace's queue files need no compaction
  r.Raw("fsync");
  return r.Finish();
}

Status FileStorageExtension::Start(Host&) {
  std::error_code ec;
  if (config_.create_directory) fs::create_directories(config_.directory, ec);
  if (!fs::is_directory(config_.directory, ec)) {
    return Status::InvalidArgument(fmt::format(
        "file_storage directory \"{}\" does not exist (create it or set create_directory: true)",
        config_.directory));
  }
  return Status::Ok();
}

Result<std::string> FileStorageExtension::DirectoryFor(const std::string& kind,
                                                       const std::string& component_id) {
  std::string safe = component_id;
  for (char& c : safe) {
    if (c == '/') c = '_';
  }
  std::string dir = config_.directory + "/" + kind + "_" + safe;
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Unavailable(fmt::format("cannot create {}: {}", dir, ec.message()));
  return dir;
}

namespace {

class FileStorageFactory : public ExtensionFactory {
 public:
  std::string type() const override { return "file_storage"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<FileStorageConfig>();
  }
  Result<ExtensionPtr> CreateExtension(const Settings&,
                                       const ComponentConfig& config) const override {
    return ExtensionPtr(
        std::make_unique<FileStorageExtension>(static_cast<const FileStorageConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExtensionFactory> NewFileStorageExtensionFactory() {
  return std::make_unique<FileStorageFactory>();
}

}  // namespace polytrace
