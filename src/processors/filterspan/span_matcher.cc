#include "processors/filterspan/span_matcher.h"

#include <fmt/format.h>

namespace polytrace {

std::string_view SpanKindName(SpanKind kind) {
  switch (kind) {
    case SpanKind::kUnspecified: return "SPAN_KIND_UNSPECIFIED";
    case SpanKind::kInternal: return "SPAN_KIND_INTERNAL";
    case SpanKind::kServer: return "SPAN_KIND_SERVER";
    case SpanKind::kClient: return "SPAN_KIND_CLIENT";
    case SpanKind::kProducer: return "SPAN_KIND_PRODUCER";
    case SpanKind::kConsumer: return "SPAN_KIND_CONSUMER";
  }
  return "SPAN_KIND_UNSPECIFIED";
}

bool SpanMatcher::Pattern::Matches(std::string_view s) const {
  if (re) return re->Search(s);
  return s == text;
}

namespace {

Result<std::optional<Regex>> MaybeRegex(bool regexp, const std::string& text, ConfigReader& r,
                                        const std::string& key) {
  if (!regexp) return std::optional<Regex>();
  Result<Regex> re = Regex::Compile(text);
  if (!re.ok()) return r.KeyError(key, re.status().message());
  return std::optional<Regex>(*re);
}

}  // namespace

Result<SpanMatcher> SpanMatcher::Parse(ConfigReader& r) {
  SpanMatcher m;
  std::string match_type;
  POLYTRACE_RETURN_IF_ERROR(r.Read("match_type", &match_type));
  if (match_type != "strict" && match_type != "regexp") {
    return r.KeyError("match_type",
                      fmt::format("must be \"strict\" or \"regexp\", got \"{}\"", match_type));
  }
  bool regexp = match_type == "regexp";
  auto read_patterns = [&](const std::string& key, std::vector<Pattern>* out) -> Status {
    std::vector<std::string> texts;
    POLYTRACE_RETURN_IF_ERROR(r.Read(key, &texts));
    for (const std::string& t : texts) {
      auto re = MaybeRegex(regexp, t, r, key);
      if (!re.ok()) return re.status();
      out->push_back({t, *re});
    }
    return Status::Ok();
  };
  POLYTRACE_RETURN_IF_ERROR(read_patterns("services", &m.services_));
  POLYTRACE_RETURN_IF_ERROR(read_patterns("span_names", &m.span_names_));
  std::vector<std::string> kinds;
  POLYTRACE_RETURN_IF_ERROR(r.Read("span_kinds", &kinds));
  for (const std::string& k : kinds) {
    bool found = false;
    for (int i = 0; i <= 5; ++i) {
      if (SpanKindName(static_cast<SpanKind>(i)) == k) {
        m.span_kinds_.push_back(static_cast<SpanKind>(i));
        found = true;
      }
    }
    if (!found) return r.KeyError("span_kinds", fmt::format("unknown span kind \"{}\"", k));
  }
  for (const char* key : {"attributes", "resources"}) {
    Result<std::vector<ConfigReader>> list = r.ChildList(key);
    if (!list.ok()) return list.status();
    for (ConfigReader& item : *list) {
      KeyValuePattern kv;
      POLYTRACE_RETURN_IF_ERROR(item.Read("key", &kv.key));
      if (item.Has("value")) {
        std::string text = item.Raw("value").Scalar();
        auto re = MaybeRegex(regexp, text, item, "value");
        if (!re.ok()) return re.status();
        kv.value = Pattern{text, *re};
      }
      POLYTRACE_RETURN_IF_ERROR(item.Finish());
      if (kv.key.empty()) return item.Error("\"key\" is required");
      (std::string_view(key) == "attributes" ? m.attributes_ : m.resources_).push_back(kv);
    }
  }
  Result<std::vector<ConfigReader>> libs = r.ChildList("libraries");
  if (!libs.ok()) return libs.status();
  for (ConfigReader& item : *libs) {
    std::string name, version;
    bool has_version = item.Has("version");
    POLYTRACE_RETURN_IF_ERROR(item.Read("name", &name));
    POLYTRACE_RETURN_IF_ERROR(item.Read("version", &version));
    POLYTRACE_RETURN_IF_ERROR(item.Finish());
    auto name_re = MaybeRegex(regexp, name, item, "name");
    if (!name_re.ok()) return name_re.status();
    std::optional<Pattern> v;
    if (has_version) {
      auto version_re = MaybeRegex(regexp, version, item, "version");
      if (!version_re.ok()) return version_re.status();
      v = Pattern{version, *version_re};
    }
    m.libraries_.emplace_back(Pattern{name, *name_re}, v);
  }
  POLYTRACE_RETURN_IF_ERROR(r.Finish());
  if (m.services_.empty() && m.span_names_.empty() && m.span_kinds_.empty() &&
      m.attributes_.empty() && m.resources_.empty() && m.libraries_.empty()) {
    return r.Error(
        "at least one of services, span_names, span_kinds, attributes, resources or "
        "libraries must be set");
  }
  return m;
}

bool SpanMatcher::AttributesMatch(const std::vector<KeyValuePattern>& wanted,
                                  const Attributes& at) {
  for (const KeyValuePattern& kv : wanted) {
    const AnyValue* v = FindAttribute(at, kv.key);
    if (v == nullptr) return false;
    if (kv.value && !kv.value->Matches(ValueToString(*v))) return false;
  }
  return true;
}

bool SpanMatcher::Matches(const ResourceSpans& rs, const ScopeSpans& ss, const Span& span) const {
  auto any = [](const std::vector<Pattern>& ps, std::string_view s) {
    for (const Pattern& p : ps) {
      if (p.Matches(s)) return true;
    }
    return false;
  };
  if (!services_.empty()) {
    const AnyValue* svc = FindAttribute(rs.resource.attributes, kServiceNameKey);
    if (!svc || !any(services_, ValueToString(*svc))) return false;
  }
  if (!span_names_.empty() && !any(span_names_, span.name)) return false;
  if (!span_kinds_.empty() &&
      std::find(span_kinds_.begin(), span_kinds_.end(), span.kind) == span_kinds_.end()) {
    return false;
  }
  if (!AttributesMatch(attributes_, span.attributes)) return false;
  if (!AttributesMatch(resources_, rs.resource.attributes)) return false;
  if (!libraries_.empty()) {
    bool hit = false;
    for (const auto& [name, version] : libraries_) {
      if (name.Matches(ss.scope.name) && (!version || version->Matches(ss.scope.version)))
        hit = true;
    }
    if (!hit) return false;
  }
  return true;
}

Result<SpanSelection> SpanSelection::Parse(ConfigReader& r) {
  SpanSelection sel;
  for (const char* key : {"include", "exclude"}) {
    bool present = false;
    Result<ConfigReader> child = r.Child(key, &present);
    if (!child.ok()) return child.status();
    if (!present) continue;
    Result<SpanMatcher> m = SpanMatcher::Parse(*child);
    if (!m.ok()) return m.status();
    (std::string_view(key) == "include" ? sel.include : sel.exclude) = std::move(*m);
  }
  return sel;
}

bool SpanSelection::Selects(const ResourceSpans& rs, const ScopeSpans& ss, const Span& span) const {
  if (include && !include->Matches(rs, ss, span)) return false;
  if (exclude && exclude->Matches(rs, ss, span)) return false;
  return true;
}

}  // namespace polytrace
