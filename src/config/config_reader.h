// ConfigReader: typed, strict access to one YAML mapping of a config file.
//
// Each Read* call consumes a key; Finish() then reports any key nobody read,
// so a typo stops startup instead of being ignored. Every error carries the
// file, the full key path and the line, e.g.
//   config.yaml:12:7: processors.batch.timeout: cannot parse "5x" as a duration
// A missing key leaves the default in place. A null mapping (`otlp:` with
// nothing below) reads as empty, as in the Collector.
#pragma once

#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "core/status.h"

namespace polytrace {

class ConfigReader {
 public:
  ConfigReader(YAML::Node node, std::string path, std::string file);

  bool Has(const std::string& key) const;
  // The keys of this mapping, in file order.
  std::vector<std::string> Keys() const;

  Status Read(const std::string& key, std::string* out);
  Status Read(const std::string& key, bool* out);
  Status Read(const std::string& key, int64_t* out);
  Status Read(const std::string& key, uint64_t* out);
  Status Read(const std::string& key, int* out);
  Status Read(const std::string& key, uint32_t* out);
  Status Read(const std::string& key, double* out);
  Status Read(const std::string& key, std::vector<std::string>* out);
  Status Read(const std::string& key, std::map<std::string, std::string>* out);
  // Go duration syntax ("5s", "200ms", "1m30s") or an integer of nanoseconds.
  Status Read(const std::string& key, std::chrono::nanoseconds* out);
  Status Read(const std::string& key, std::chrono::milliseconds* out);

  // A nested mapping; `present` (if given) tells whether the key was there.
  // Consumes the key. An absent key yields an empty reader.
  Result<ConfigReader> Child(const std::string& key, bool* present = nullptr);
  // A sequence of mappings (e.g. the attributes processor's `actions`).
  Result<std::vector<ConfigReader>> ChildList(const std::string& key);
  // The raw node for a key (consumes it), for shapes the typed readers lack.
  YAML::Node Raw(const std::string& key);

  // Errors about this mapping or one of its keys.
  Status Error(const std::string& message) const;
  Status KeyError(const std::string& key, const std::string& message) const;

  // Fails on the first key that no Read/Child consumed.
  Status Finish() const;

  const std::string& path() const { return path_; }
  const std::string& file() const { return file_; }
  const YAML::Node& node() const { return node_; }

 private:
  std::string KeyPath(const std::string& key) const;
  std::string Location(const YAML::Node& node) const;
  YAML::Node Get(const std::string& key);

  YAML::Node node_;
  std::string path_;
  std::string file_;
  std::set<std::string> consumed_;
};

// Parses Go's time.ParseDuration syntax.
std::optional<std::chrono::nanoseconds> ParseGoDuration(const std::string& text);

}  // namespace polytrace
