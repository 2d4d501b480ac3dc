// The Collector YAML with every built-in component: any text loads or gets
// an error naming where, never a crash (environment references included).
#include <cstdint>
#include <string>

#include "components/builtin_components.h"
#include "service/collector_config.h"

using namespace polytrace;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static ComponentRegistry* registry = [] {
    auto* r = new ComponentRegistry();
    RegisterBuiltinComponents(*r);
    return r;
  }();
  std::string text(reinterpret_cast<const char*>(data), size);
  auto env = [](const std::string& name) -> std::optional<std::string> {
    if (name == "HOME") return std::string("/tmp");
    return std::nullopt;
  };
  auto config = ParseCollectorConfig(text, "fuzz.yaml", *registry, env);
  if (!config.ok() && config.status().code() != StatusCode::kInvalidArgument) __builtin_trap();
  return 0;
}
