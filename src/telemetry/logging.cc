#include "telemetry/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <mutex>

namespace polytrace {
namespace {

std::shared_ptr<spdlog::sinks::sink> SharedSink() {
  // Logs go to stderr so that stdout stays for command output (validate, debug exporter).
  static auto sink = [] {
    auto s = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
    s->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ\t%^%l%$\t%n\t%v");
    return s;
  }();
  return sink;
}

spdlog::level::level_enum& CurrentLevel() {
  static spdlog::level::level_enum level = spdlog::level::info;
  return level;
}

}  // namespace

bool SetLogLevel(const std::string& level) {
  spdlog::level::level_enum l = spdlog::level::from_str(level);
  if (l == spdlog::level::off && level != "off") return false;
  CurrentLevel() = l;
  spdlog::set_level(l);
  return true;
}

std::shared_ptr<spdlog::logger> MakeLogger(const std::string& name) {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto existing = spdlog::get(name)) return existing;
  auto logger = std::make_shared<spdlog::logger>(name, SharedSink());
  logger->set_level(CurrentLevel());
  spdlog::register_logger(logger);
  return logger;
}

}  // namespace polytrace
