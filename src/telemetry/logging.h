// Structured logs: one logger per component, "key=value" fields after the
// message, levels debug/info/warn/error (service.telemetry.logs.level).
#pragma once

#include <spdlog/logger.h>

#include <memory>
#include <string>

namespace polytrace {

// Sets the process-wide level ("debug", "info", "warn", "error"); false when
// the name is unknown.
bool SetLogLevel(const std::string& level);
// A logger named after the component ("receiver/otlp", "exporter/otlphttp").
std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name);

}  // namespace polytrace
