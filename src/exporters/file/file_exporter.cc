#include "exporters/file/file_exporter.h"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include <filesystem>

#include "compression/compression.h"
#include "otlp/json_codec.h"
#include "otlp/proto_codec.h"

namespace polytrace {
namespace fs = std::filesystem;

Status FileExporterConfig::Unmarshal(ConfigReader& r) {
  POLYTRACE_RETURN_IF_ERROR(r.Read("path", &path));
  POLYTRACE_RETURN_IF_ERROR(r.Read("format", &format));
  POLYTRACE_RETURN_IF_ERROR(r.Read("compression", &compression));
  POLYTRACE_RETURN_IF_ERROR(r.Read("append", &append));
  POLYTRACE_RETURN_IF_ERROR(r.Read("flush_interval", &flush_interval));
  Result<ConfigReader> rot = r.Child("rotation", &rotation_enabled);
  if (!rot.ok()) return rot.status();
  POLYTRACE_RETURN_IF_ERROR(rot->Read("max_megabytes", &max_megabytes));
  POLYTRACE_RETURN_IF_ERROR(rot->Read("max_days", &max_days));
  POLYTRACE_RETURN_IF_ERROR(rot->Read("max_backups", &max_backups));
  POLYTRACE_RETURN_IF_ERROR(rot->Read("localtime", &localtime));
  POLYTRACE_RETURN_IF_ERROR(rot->Finish());
  if (r.Has("group_by")) return r.KeyError("group_by", "group_by is not supported yet");
  return r.Finish();
}

Status FileExporterConfig::Validate() const {
  if (path.empty()) return Status::InvalidArgument("\"path\" must be set");
  if (format != "json" && format != "proto") {
    return Status::InvalidArgument(fmt::format("format \"{}\" is not json or proto", format));
  }
  if (!compression.empty() && compression != "zstd") {
    return Status::InvalidArgument(fmt::format("compression \"{}\" is not zstd", compression));
  }
  if (append && !compression.empty()) {
    return Status::InvalidArgument("append and compression cannot be used together");
  }
  return Status::Ok();
}

Status FileExporter::Open(bool append) {
  fs::path p(config_.path);
  std::error_code ec;
  if (p.has_parent_path()) fs::create_directories(p.parent_path(), ec);
  file_ = std::fopen(config_.path.c_str(), append ? "ab" : "wb");
  if (file_ == nullptr) {
    return Status::Unavailable(fmt::format("cannot open {}: {}", config_.path, strerror(errno)));
  }
  size_ = append ? static_cast<uint64_t>(fs::file_size(p, ec)) : 0;
  return Status::Ok();
}

Status FileExporter::Start(Host&) {
  std::lock_guard<std::mutex> lock(mu_);
  return Open(config_.append);
}

Status FileExporter::RotateIfNeeded() {
  if (!config_.rotation_enabled || size_ < config_.max_megabytes * 1024 * 1024) return Status::Ok();
  std::fclose(file_);
  file_ = nullptr;
  fs::path p(config_.path);
  auto now = std::chrono::system_clock::now();
  std::string stamp = config_.localtime ? fmt::format("{:%Y-%m-%dT%H-%M-%S}", fmt::localtime(now))
                                        : fmt::format("{:%Y-%m-%dT%H-%M-%S}", fmt::gmtime(now));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  fs::path backup = p.parent_path() / fmt::format("{}-{}.{:03}{}", p.stem().string(), stamp,
                                                  ms.count(), p.extension().string());
  std::error_code ec;
  for (int n = 1; fs::exists(backup, ec); ++n) {
    backup.replace_filename(fmt::format("{}-{}.{:03}-{}{}", p.stem().string(), stamp, ms.count(), n,
                                        p.extension().string()));
  }
  fs::rename(p, backup, ec);
  PruneBackups();
  return Open(false);
}

void FileExporter::PruneBackups() {
  fs::path p(config_.path);
  std::vector<fs::path> backups;
  std::error_code ec;
  std::string prefix = p.stem().string() + "-";
  for (const auto& e :
       fs::directory_iterator(p.parent_path().empty() ? "." : p.parent_path(), ec)) {
    std::string name = e.path().filename().string();
    if (name.rfind(prefix, 0) == 0 && e.path() != p) backups.push_back(e.path());
  }
  std::sort(backups.begin(), backups.end());
  auto now = fs::file_time_type::clock::now();
  for (size_t i = 0; i < backups.size(); ++i) {
    bool too_many = config_.max_backups > 0 && backups.size() - i > config_.max_backups;
    bool too_old = config_.max_days > 0 && now - fs::last_write_time(backups[i], ec) >
                                               std::chrono::hours(24 * config_.max_days);
    if (too_many || too_old) fs::remove(backups[i], ec);
  }
}

Status FileExporter::ConsumeTraces(Traces traces) {
  std::string record;
  if (config_.format == "json") {
    record = otlp::EncodeTracesJson(traces);
    if (config_.compression == "zstd") record = Compress(Compression::kZstd, record);
    if (config_.compression.empty()) record += '\n';
  } else {
    std::string body = otlp::EncodeTracesProto(traces);
    if (config_.compression == "zstd") body = Compress(Compression::kZstd, body);
    uint32_t n = static_cast<uint32_t>(body.size());
    char prefix[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    record.assign(prefix, 4);
    record += body;
  }
  if (config_.compression == "zstd" && config_.format == "json") {
    uint32_t n = static_cast<uint32_t>(record.size());
    char prefix[4] = {char(n >> 24), char(n >> 16), char(n >> 8), char(n)};
    record = std::string(prefix, 4) + record;
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ == nullptr) return Status::Unavailable("the file exporter is not running");
  if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() ||
      std::fflush(file_) != 0) {
    return Status::Unavailable(fmt::format("writing {}: {}", config_.path, strerror(errno)));
  }
  size_ += record.size();
  return RotateIfNeeded();
}

void FileExporter::Shutdown() {
  std::lock_guard<std::mutex> lock(mu_);
  if (file_ != nullptr) {
    std::fclose(file_);
    file_ = nullptr;
  }
}

namespace {

class FileExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "file"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<FileExporterConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& settings,
                                           const ComponentConfig& config) const override {
    return ExporterPtr(
        std::make_unique<FileExporter>(settings, static_cast<const FileExporterConfig&>(config)));
  }
};

}  // namespace

std::unique_ptr<ExporterFactory> NewFileExporterFactory() {
  return std::make_unique<FileExporterFactory>();
}

}  // namespace polytrace
