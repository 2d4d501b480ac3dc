#include "verify/expectations.h"

#include <fmt/format.h>

#include <fstream>

#include "config/config_reader.h"

namespace polytrace::verify {
namespace {

Result<uint64_t> ReadDuration(ConfigReader& r, const std::string& key) {
  std::chrono::nanoseconds d{0};
  if (Status st = r.Read(key, &d); !st.ok()) return st;
  return static_cast<uint64_t>(d.count());
}

std::optional<SpanKind> ParseKind(std::string_view s) {
  if (s == "internal") return SpanKind::kInternal;
  if (s == "server") return SpanKind::kServer;
  if (s == "client") return SpanKind::kClient;
  if (s == "producer") return SpanKind::kProducer;
  if (s == "consumer") return SpanKind::kConsumer;
  return std::nullopt;
}

std::optional<StatusCodeValue> ParseStatus(std::string_view s) {
  if (s == "unset") return StatusCodeValue::kUnset;
  if (s == "ok") return StatusCodeValue::kOk;
  if (s == "error") return StatusCodeValue::kError;
  return std::nullopt;
}

// "NAME" or "SERVICE/NAME" into a span expectation.
SpanExpectation Selector(std::string_view text) {
  SpanExpectation e;
  e.label = std::string(text);
  size_t slash = text.find('/');
  // A span name may itself contain '/' (GET /checkout): only a prefix without
  // spaces counts as a service.
  if (slash != std::string_view::npos && slash > 0 &&
      text.substr(0, slash).find(' ') == std::string_view::npos) {
    e.service = std::string(text.substr(0, slash));
    e.name = std::string(text.substr(slash + 1));
  } else {
    e.name = std::string(text);
  }
  return e;
}

Result<ValueMatcher> ReadMatcher(ConfigReader& parent, const std::string& key) {
  YAML::Node node = parent.node()[key];
  if (node.IsScalar()) {
    std::string value;
    if (Status st = parent.Read(key, &value); !st.ok()) return st;
    return ValueMatcher{ValueMatcher::Kind::kEquals, value, {}};
  }
  Result<ConfigReader> m = parent.Child(key);
  if (!m.ok()) return m.status();
  ValueMatcher out;
  if (m->Has("regex")) {
    std::string pattern;
    if (Status st = m->Read("regex", &pattern); !st.ok()) return st;
    Result<ValueMatcher> re = MakeRegexMatcher(pattern);
    if (!re.ok()) return m->KeyError("regex", re.status().message());
    out = std::move(*re);
  } else if (m->Has("equals")) {
    if (Status st = m->Read("equals", &out.text); !st.ok()) return st;
  } else if (m->Has("exists")) {
    bool exists = false;
    if (Status st = m->Read("exists", &exists); !st.ok()) return st;
    if (!exists) return m->KeyError("exists", "only `exists: true` is supported");
    out.kind = ValueMatcher::Kind::kExists;
  } else {
    return m->Error("expected a value, or one of regex / equals / exists");
  }
  if (Status st = m->Finish(); !st.ok()) return st;
  return out;
}

Status ReadSpanExpectation(ConfigReader& r, SpanExpectation* e) {
  std::string kind, status;
  int64_t count = -1, min_count = -1, max_count = -1;
  if (Status st = r.Read("span", &e->name); !st.ok()) return st;
  if (Status st = r.Read("service", &e->service); !st.ok()) return st;
  if (Status st = r.Read("kind", &kind); !st.ok()) return st;
  if (Status st = r.Read("status", &status); !st.ok()) return st;
  if (Status st = r.Read("count", &count); !st.ok()) return st;
  if (Status st = r.Read("min_count", &min_count); !st.ok()) return st;
  if (Status st = r.Read("max_count", &max_count); !st.ok()) return st;
  if (!kind.empty() && !(e->kind = ParseKind(kind))) {
    return r.KeyError("kind", fmt::format("\"{}\" is not internal, server, client, producer or "
                                          "consumer",
                                          kind));
  }
  if (!status.empty() && !(e->status = ParseStatus(status))) {
    return r.KeyError("status", fmt::format("\"{}\" is not unset, ok or error", status));
  }
  if (count >= 0) {
    e->min_count = size_t(count);
    e->max_count = size_t(count);
  }
  if (min_count >= 0) e->min_count = size_t(min_count);
  if (max_count >= 0) e->max_count = size_t(max_count);
  for (const char* key : {"min_duration", "max_duration"}) {
    if (!r.Has(key)) continue;
    Result<uint64_t> d = ReadDuration(r, key);
    if (!d.ok()) return d.status();
    (std::string_view(key) == "min_duration" ? e->min_duration_nanos : e->max_duration_nanos) = *d;
  }
  bool has_attributes = false;
  Result<ConfigReader> attrs = r.Child("attributes", &has_attributes);
  if (!attrs.ok()) return attrs.status();
  if (has_attributes) {
    for (const std::string& key : attrs->Keys()) {
      Result<ValueMatcher> m = ReadMatcher(*attrs, key);
      if (!m.ok()) return m.status();
      e->attributes.emplace_back(key, std::move(*m));
    }
  }
  e->label =
      e->service.empty() || e->name.empty() ? e->service + e->name : e->service + "/" + e->name;
  if (e->label.empty()) e->label = "any span";
  if (!kind.empty()) e->label += " (" + kind + ")";
  return r.Finish();
}

}  // namespace

bool ValueMatcher::Matches(const std::optional<std::string>& value) const {
  if (!value) return false;
  switch (kind) {
    case Kind::kEquals: return *value == text;
    case Kind::kRegex: return regex && regex->Search(*value);
    case Kind::kExists: return true;
  }
  return false;
}

std::string ValueMatcher::Describe() const {
  switch (kind) {
    case Kind::kEquals: return fmt::format("= \"{}\"", text);
    case Kind::kRegex: return fmt::format("=~ /{}/", text);
    case Kind::kExists: return "present";
  }
  return "";
}

Result<ValueMatcher> MakeRegexMatcher(std::string pattern) {
  ValueMatcher m;
  m.kind = ValueMatcher::Kind::kRegex;
  Result<Regex> re = Regex::Compile(pattern);
  if (!re.ok()) return re.status();
  m.regex = std::move(*re);
  m.text = std::move(pattern);
  return m;
}

Status AddSpanFlag(std::string_view text, Expectations* out) {
  if (text.empty()) return Status::InvalidArgument("--span: empty span name");
  out->spans.push_back(Selector(text));
  return Status::Ok();
}

Status AddAttributeFlag(std::string_view text, Expectations* out) {
  size_t colon = text.find(':');
  size_t eq = text.find('=', colon == std::string_view::npos ? 0 : colon);
  if (colon == std::string_view::npos || eq == std::string_view::npos || colon == 0 ||
      eq == colon + 1) {
    return Status::InvalidArgument(
        fmt::format("--attr \"{}\": expected SPAN:KEY=VALUE or SPAN:KEY=~REGEX", text));
  }
  SpanExpectation e = Selector(text.substr(0, colon));
  std::string key(text.substr(colon + 1, eq - colon - 1));
  std::string_view value = text.substr(eq + 1);
  if (value.starts_with('~')) {
    Result<ValueMatcher> m = MakeRegexMatcher(std::string(value.substr(1)));
    if (!m.ok()) return Status::InvalidArgument("--attr: " + m.status().message());
    e.attributes.emplace_back(key, std::move(*m));
  } else {
    e.attributes.emplace_back(key,
                              ValueMatcher{ValueMatcher::Kind::kEquals, std::string(value), {}});
  }
  out->spans.push_back(std::move(e));
  return Status::Ok();
}

Status LoadExpectationsFile(const std::string& path, Expectations* out) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::BadFile&) {
    return Status::InvalidArgument(fmt::format("{}: cannot read the file", path));
  } catch (const YAML::ParserException& e) {
    return Status::InvalidArgument(
        fmt::format("{}:{}:{}: {}", path, e.mark.line + 1, e.mark.column + 1, e.msg));
  }
  if (root.IsNull()) return Status::Ok();
  ConfigReader r(root, "", path);
  std::vector<std::string> services, languages;
  if (Status st = r.Read("services", &services); !st.ok()) return st;
  if (Status st = r.Read("languages", &languages); !st.ok()) return st;
  out->services.insert(out->services.end(), services.begin(), services.end());
  out->languages.insert(out->languages.end(), languages.begin(), languages.end());
  for (auto [key, field] :
       {std::pair{"min_spans", &out->min_spans}, std::pair{"max_spans", &out->max_spans}}) {
    if (!r.Has(key)) continue;
    uint64_t n = 0;
    if (Status st = r.Read(key, &n); !st.ok()) return st;
    *field = size_t(n);
  }
  if (r.Has("max_duration")) {
    Result<uint64_t> d = ReadDuration(r, "max_duration");
    if (!d.ok()) return d.status();
    out->max_duration_nanos = *d;
  }
  if (r.Has("clock_skew_tolerance")) {
    Result<uint64_t> d = ReadDuration(r, "clock_skew_tolerance");
    if (!d.ok()) return d.status();
    out->analysis.skew_tolerance_nanos = *d;
  }
  if (Status st = r.Read("strict", &out->strict); !st.ok()) return st;
  bool has_allow = false;
  Result<ConfigReader> allow = r.Child("allow", &has_allow);
  if (!allow.ok()) return allow.status();
  if (has_allow) {
    for (auto [key, field] :
         {std::pair{"orphans", &out->allow_orphans},
          std::pair{"missing_service_name", &out->allow_missing_service_name},
          std::pair{"invalid_hops", &out->allow_invalid_hops},
          std::pair{"broken_propagation", &out->allow_broken_propagation},
          std::pair{"clock_skew", &out->allow_clock_skew},
          std::pair{"sdk_mix", &out->allow_sdk_mix},
          std::pair{"missing_service_version", &out->allow_missing_service_version}}) {
      if (Status st = allow->Read(key, field); !st.ok()) return st;
    }
    if (Status st = allow->Finish(); !st.ok()) return st;
  }
  Result<std::vector<ConfigReader>> expect = r.ChildList("expect");
  if (!expect.ok()) return expect.status();
  for (ConfigReader& item : *expect) {
    SpanExpectation e;
    if (Status st = ReadSpanExpectation(item, &e); !st.ok()) return st;
    out->spans.push_back(std::move(e));
  }
  return r.Finish();
}

}  // namespace polytrace::verify
