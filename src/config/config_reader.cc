#include "config/config_reader.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace polytrace {

ConfigReader::ConfigReader(YAML::Node node, std::string path, std::string file)
    : node_(std::move(node)), path_(std::move(path)), file_(std::move(file)) {}

std::string ConfigReader::KeyPath(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

std::string ConfigReader::Location(const YAML::Node& node) const {
  YAML::Mark mark = node.Mark();
  if (mark.is_null()) return file_;
  return fmt::format("{}:{}:{}", file_, mark.line + 1, mark.column + 1);
}

Status ConfigReader::Error(const std::string& message) const {
  return Status::InvalidArgument(
      fmt::format("{}: {}: {}", Location(node_), path_.empty() ? "<root>" : path_, message));
}

Status ConfigReader::KeyError(const std::string& key, const std::string& message) const {
  // Point at the value when there is one, else at the key itself (a null
  // value's mark is where the next token starts, which misleads).
  std::string where = Location(node_);
  if (node_.IsMap()) {
    for (const auto& it : node_) {
      if (it.first.Scalar() != key) continue;
      where = it.second.IsNull() ? Location(it.first) : Location(it.second);
    }
  }
  return Status::InvalidArgument(fmt::format("{}: {}: {}", where, KeyPath(key), message));
}

bool ConfigReader::Has(const std::string& key) const {
  return node_.IsMap() && node_[key].IsDefined();
}

std::vector<std::string> ConfigReader::Keys() const {
  std::vector<std::string> keys;
  if (!node_.IsMap()) return keys;
  // A key may be any YAML node (`? [a, b]: x`, `~: x`): only scalars name
  // something; others are named by their YAML, so that an error can say which.
  for (const auto& it : node_) {
    keys.push_back(it.first.IsScalar() ? it.first.Scalar() : YAML::Dump(it.first));
  }
  return keys;
}

YAML::Node ConfigReader::Get(const std::string& key) {
  if (!node_.IsMap()) return YAML::Node(YAML::NodeType::Undefined);
  consumed_.insert(key);
  const YAML::Node& const_node = node_;
  return const_node[key];
}

namespace {

bool IsAbsent(const YAML::Node& n) { return !n.IsDefined() || n.IsNull(); }

template <typename T>
Status ReadScalar(ConfigReader& r, const YAML::Node& n, const std::string& key, T* out,
                  const char* type_name) {
  if (!n.IsScalar())
    return r.KeyError(
        key, fmt::format("expected {}, found a {}", type_name, n.IsMap() ? "mapping" : "sequence"));
  try {
    *out = n.as<T>();
  } catch (const YAML::Exception&) {
    return r.KeyError(key, fmt::format("cannot parse \"{}\" as {}", n.Scalar(), type_name));
  }
  return Status::Ok();
}

}  // namespace

Status ConfigReader::Read(const std::string& key, std::string* out) {
  YAML::Node n = Get(key);
  if (!n.IsDefined()) return Status::Ok();
  if (n.IsNull()) {
    out->clear();
    return Status::Ok();
  }
  return ReadScalar(*this, n, key, out, "a string");
}

Status ConfigReader::Read(const std::string& key, bool* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  return ReadScalar(*this, n, key, out, "a boolean");
}

Status ConfigReader::Read(const std::string& key, int64_t* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  return ReadScalar(*this, n, key, out, "an integer");
}

Status ConfigReader::Read(const std::string& key, uint64_t* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  if (n.IsScalar() && !n.Scalar().empty() && n.Scalar()[0] == '-') {
    return KeyError(key, fmt::format("must not be negative, got {}", n.Scalar()));
  }
  return ReadScalar(*this, n, key, out, "a non-negative integer");
}

Status ConfigReader::Read(const std::string& key, int* out) {
  int64_t v = *out;
  POLYTRACE_RETURN_IF_ERROR(Read(key, &v));
  if (v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    return KeyError(key, fmt::format("{} is out of range", v));
  }
  *out = static_cast<int>(v);
  return Status::Ok();
}

Status ConfigReader::Read(const std::string& key, uint32_t* out) {
  uint64_t v = *out;
  POLYTRACE_RETURN_IF_ERROR(Read(key, &v));
  if (v > std::numeric_limits<uint32_t>::max()) {
    return KeyError(key, fmt::format("{} is out of range", v));
  }
  *out = static_cast<uint32_t>(v);
  return Status::Ok();
}

Status ConfigReader::Read(const std::string& key, double* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  return ReadScalar(*this, n, key, out, "a number");
}

Status ConfigReader::Read(const std::string& key, std::vector<std::string>* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  if (!n.IsSequence()) return KeyError(key, "expected a list of strings");
  out->clear();
  for (const YAML::Node& item : n) {
    if (!item.IsScalar()) return KeyError(key, "expected a list of strings");
    out->push_back(item.Scalar());
  }
  return Status::Ok();
}

Status ConfigReader::Read(const std::string& key, std::map<std::string, std::string>* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  if (!n.IsMap()) return KeyError(key, "expected a mapping of strings");
  out->clear();
  for (const auto& it : n) {
    if (!it.second.IsScalar()) {
      return KeyError(key, fmt::format("value of \"{}\" must be a string", it.first.Scalar()));
    }
    (*out)[it.first.Scalar()] = it.second.Scalar();
  }
  return Status::Ok();
}

Status ConfigReader::Read(const std::string& key, std::chrono::nanoseconds* out) {
  YAML::Node n = Get(key);
  if (IsAbsent(n)) return Status::Ok();
  if (!n.IsScalar()) return KeyError(key, "expected a duration such as \"5s\"");
  std::optional<std::chrono::nanoseconds> d = ParseGoDuration(n.Scalar());
  if (!d) {
    return KeyError(
        key, fmt::format("cannot parse \"{}\" as a duration (use e.g. 200ms, 5s, 1m)", n.Scalar()));
  }
  *out = *d;
  return Status::Ok();
}

Status ConfigReader::Read(const std::string& key, std::chrono::milliseconds* out) {
  std::chrono::nanoseconds ns = *out;
  POLYTRACE_RETURN_IF_ERROR(Read(key, &ns));
  *out = std::chrono::duration_cast<std::chrono::milliseconds>(ns);
  return Status::Ok();
}

Result<ConfigReader> ConfigReader::Child(const std::string& key, bool* present) {
  YAML::Node n = Get(key);
  if (present) *present = n.IsDefined();
  if (n.IsDefined() && !n.IsNull() && !n.IsMap()) {
    return KeyError(key, "expected a mapping");
  }
  if (!n.IsDefined() || n.IsNull()) {
    YAML::Node empty(YAML::NodeType::Map);
    ConfigReader r(empty, KeyPath(key), file_);
    // Keep the parent's position for errors about an empty section.
    r.node_ = n.IsDefined() ? n : empty;
    return r;
  }
  return ConfigReader(n, KeyPath(key), file_);
}

Result<std::vector<ConfigReader>> ConfigReader::ChildList(const std::string& key) {
  YAML::Node n = Get(key);
  std::vector<ConfigReader> out;
  if (IsAbsent(n)) return out;
  if (!n.IsSequence()) return KeyError(key, "expected a list");
  for (size_t i = 0; i < n.size(); ++i) {
    std::string path = fmt::format("{}[{}]", KeyPath(key), i);
    if (!n[i].IsMap()) {
      return Status::InvalidArgument(
          fmt::format("{}: {}: expected a mapping", Location(n[i]), path));
    }
    out.emplace_back(n[i], path, file_);
  }
  return out;
}

YAML::Node ConfigReader::Raw(const std::string& key) { return Get(key); }

Status ConfigReader::Finish() const {
  if (!node_.IsMap()) return Status::Ok();
  for (const auto& it : node_) {
    std::string key = it.first.Scalar();
    if (consumed_.count(key) == 0) {
      return Status::InvalidArgument(
          fmt::format("{}: {}: unknown key \"{}\"", Location(it.first), KeyPath(key), key));
    }
  }
  return Status::Ok();
}

std::optional<std::chrono::nanoseconds> ParseGoDuration(const std::string& text) {
  if (text.empty()) return std::nullopt;
  // A bare integer is nanoseconds, as mapstructure decodes time.Duration.
  bool all_digits = text.find_first_not_of("0123456789") == std::string::npos;
  if (all_digits) {
    // from_chars, not stoll: out of range is an answer here, not an exception
    // (a `lookback=888...` query reached stoll; found by fuzzing).
    int64_t ns = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ns);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return std::chrono::nanoseconds(ns);
  }
  if (text == "0") return std::chrono::nanoseconds(0);

  size_t i = 0;
  bool negative = false;
  if (text[i] == '-' || text[i] == '+') negative = text[i++] == '-';
  long double total = 0;
  bool any = false;
  while (i < text.size()) {
    size_t start = i;
    while (i < text.size() && (std::isdigit(static_cast<unsigned char>(text[i])) || text[i] == '.'))
      ++i;
    if (start == i) return std::nullopt;
    long double value;
    try {
      value = std::stold(text.substr(start, i - start));
    } catch (...) {
      return std::nullopt;
    }
    size_t unit_start = i;
    while (i < text.size() && !std::isdigit(static_cast<unsigned char>(text[i])) && text[i] != '.')
      ++i;
    std::string unit = text.substr(unit_start, i - unit_start);
    long double scale;
    if (unit == "ns")
      scale = 1;
    else if (unit == "us" || unit == "µs" || unit == "μs")
      scale = 1e3;
    else if (unit == "ms")
      scale = 1e6;
    else if (unit == "s")
      scale = 1e9;
    else if (unit == "m")
      scale = 60e9;
    else if (unit == "h")
      scale = 3600e9;
    else
      return std::nullopt;
    total += value * scale;
    any = true;
  }
  if (!any || total > static_cast<long double>(std::numeric_limits<int64_t>::max())) {
    return std::nullopt;
  }
  auto ns = static_cast<int64_t>(std::llround(total));
  return std::chrono::nanoseconds(negative ? -ns : ns);
}

}  // namespace polytrace
