// Expands the Collector's environment references in a config file's text:
//   ${env:NAME}            the variable's value ("" when unset)
//   ${env:NAME:-default}   the default when NAME is unset or empty
//   ${NAME}                the older form, same meaning as ${env:NAME}
//   $$                     a literal $
// Expansion happens before YAML parsing, as the Collector's providers do, so a
// value may supply any scalar (a port, a boolean, a duration).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "core/status.h"

namespace polytrace {

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;

// The process environment.
std::optional<std::string> ProcessEnv(const std::string& name);

// InvalidArgument naming the line for an unterminated or unsupported ${...}.
Result<std::string> ExpandEnvReferences(const std::string& text, const EnvLookup& lookup);

}  // namespace polytrace
