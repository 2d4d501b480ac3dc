#include "config/env_substitution.h"

#include <fmt/format.h>

#include <cstdlib>

namespace polytrace {

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

namespace {

bool ValidName(const std::string& name) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(name[0]));
}

}  // namespace

Result<std::string> ExpandEnvReferences(const std::string& text, const EnvLookup& lookup) {
  std::string out;
  out.reserve(text.size());
  int line = 1;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') ++line;
    if (c != '$' || i + 1 >= text.size()) {
      out += c;
      continue;
    }
    if (text[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    if (text[i + 1] != '{') {
      out += c;
      continue;
    }
    size_t close = text.find('}', i + 2);
    size_t newline = text.find('\n', i + 2);
    if (close == std::string::npos || (newline != std::string::npos && newline < close)) {
      return Status::InvalidArgument(fmt::format("line {}: unterminated \"${{\" reference", line));
    }
    std::string ref = text.substr(i + 2, close - i - 2);
    std::string name = ref;
    std::optional<std::string> fallback;
    if (ref.rfind("env:", 0) == 0) {
      name = ref.substr(4);
    } else if (ref.find(':') != std::string::npos) {
      return Status::InvalidArgument(fmt::format(
          "line {}: unsupported reference \"${{{}}}\" (only the env provider is supported)", line,
          ref));
    }
    size_t dflt = name.find(":-");
    if (dflt != std::string::npos) {
      fallback = name.substr(dflt + 2);
      name = name.substr(0, dflt);
    }
    if (!ValidName(name)) {
      return Status::InvalidArgument(
          fmt::format("line {}: invalid environment variable name \"{}\"", line, name));
    }
    std::optional<std::string> value = lookup(name);
    if (fallback && (!value || value->empty())) value = fallback;
    out += value.value_or("");
    i = close;
  }
  return out;
}

}  // namespace polytrace
