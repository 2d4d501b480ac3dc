#include "exporters/exporterhelper/config.h"

#include <fmt/format.h>

namespace polytrace {

Status RetryConfig::Unmarshal(ConfigReader& parent) {
  Result<ConfigReader> r = parent.Child("retry_on_failure");
  if (!r.ok()) return r.status();
  POLYTRACE_RETURN_IF_ERROR(r->Read("enabled", &enabled));
  POLYTRACE_RETURN_IF_ERROR(r->Read("initial_interval", &initial_interval));
  POLYTRACE_RETURN_IF_ERROR(r->Read("randomization_factor", &randomization_factor));
  POLYTRACE_RETURN_IF_ERROR(r->Read("multiplier", &multiplier));
  POLYTRACE_RETURN_IF_ERROR(r->Read("max_interval", &max_interval));
  POLYTRACE_RETURN_IF_ERROR(r->Read("max_elapsed_time", &max_elapsed_time));
  POLYTRACE_RETURN_IF_ERROR(r->Finish());
  if (randomization_factor < 0 || randomization_factor > 1) {
    return r->KeyError("randomization_factor", "must be between 0 and 1");
  }
  if (multiplier < 1) return r->KeyError("multiplier", "must be at least 1");
  if (initial_interval.count() <= 0 && enabled) {
    return r->KeyError("initial_interval", "must be positive");
  }
  return Status::Ok();
}

Status QueueConfig::Unmarshal(ConfigReader& parent) {
  Result<ConfigReader> r = parent.Child("sending_queue");
  if (!r.ok()) return r.status();
  POLYTRACE_RETURN_IF_ERROR(r->Read("enabled", &enabled));
  POLYTRACE_RETURN_IF_ERROR(r->Read("num_consumers", &num_consumers));
  POLYTRACE_RETURN_IF_ERROR(r->Read("queue_size", &queue_size));
  POLYTRACE_RETURN_IF_ERROR(r->Read("sizer", &sizer));
  POLYTRACE_RETURN_IF_ERROR(r->Read("block_on_overflow", &block_on_overflow));
  POLYTRACE_RETURN_IF_ERROR(r->Read("storage", &storage));
  POLYTRACE_RETURN_IF_ERROR(r->Finish());
  if (enabled && num_consumers <= 0) return r->KeyError("num_consumers", "must be positive");
  if (enabled && queue_size <= 0) return r->KeyError("queue_size", "must be positive");
  if (sizer != "requests" && sizer != "items") {
    return r->KeyError("sizer", fmt::format("\"{}\" is not requests or items", sizer));
  }
  return Status::Ok();
}

Status ExporterHelperConfig::Unmarshal(ConfigReader& exporter) {
  POLYTRACE_RETURN_IF_ERROR(exporter.Read("timeout", &timeout));
  POLYTRACE_RETURN_IF_ERROR(retry.Unmarshal(exporter));
  return queue.Unmarshal(exporter);
}

}  // namespace polytrace
