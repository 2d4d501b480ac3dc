// ComponentConfig: what the user writes for one component.
//
// A config is a plain struct whose constructor sets the Collector's defaults.
// Unmarshal reads the user's YAML through a ConfigReader (which rejects
// unknown keys and wrong types with file, key path and line); Validate checks
// values and names the offending key.
#pragma once

#include <memory>

#include "config/config_reader.h"
#include "core/status.h"

namespace polytrace {

class ComponentConfig {
 public:
  virtual ~ComponentConfig() = default;
  virtual Status Unmarshal(ConfigReader& reader) = 0;
  virtual Status Validate() const { return Status::Ok(); }
};

using ComponentConfigPtr = std::unique_ptr<ComponentConfig>;

}  // namespace polytrace
