// StorageExtension: an extension that gives components a private directory
// that outlives the process (the Collector's storage extensions, used by
// persistent sending queues).
#pragma once

#include <string>

#include "pipeline/component.h"

namespace polytrace {

class StorageExtension : public Extension {
 public:
  // A directory owned by one component ("exporter", "otlphttp/backend"),
  // created if needed.
  virtual Result<std::string> DirectoryFor(const std::string& kind,
                                           const std::string& component_id) = 0;
};

}  // namespace polytrace
