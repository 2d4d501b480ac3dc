#include "processors/redaction/redaction_processor.h"

#include <gtest/gtest.h>

#include <utility>
#include <vector>

#include "testing/traces_compare.h"
#include "testing/traces_sink.h"

namespace polytrace {
namespace {

using AttributeList = std::vector<KeyValue>;

Status Parse(const std::string& yaml, RedactionConfig* config) {
  ConfigReader r(YAML::Load(yaml), "processors.redaction", "c.yaml");
  return config->Unmarshal(r);
}

RedactionConfig MustParse(const std::string& yaml) {
  RedactionConfig config;
  Status st = Parse(yaml, &config);
  EXPECT_TRUE(st.ok()) << st.message();
  return config;
}

std::string Render(const Attributes& attributes) { return testing::RenderAttributes(attributes); }

// One span whose resource, scope, span, event and link all carry `attributes`.
Traces MakeBatch(const AttributeList& attributes) {
  Traces traces = testing::MakeTraces("svc", 1);
  Arena& a = traces.arena();
  auto fill = [&](Attributes& out) {
    out.Clear();
    for (const KeyValue& kv : attributes) out.Append(a, kv);
  };
  ResourceSpans& rs = traces.resource_spans()[0];
  fill(rs.resource.attributes);
  fill(rs.scope_spans[0].scope.attributes);
  Span& span = rs.scope_spans[0].spans[0];
  fill(span.attributes);
  fill(span.events.Append(a).attributes);
  fill(span.links.Append(a).attributes);
  return traces;
}

struct Rendered {
  std::string resource, scope, span, event, link, span_name;
};

Rendered Inspect(const testing::TracesSink& sink) {
  Rendered out;
  sink.Inspect([&](const std::vector<Traces>& batches) {
    EXPECT_EQ(batches.size(), 1u);
    if (batches.empty()) return;
    const ResourceSpans& rs = batches[0].resource_spans()[0];
    const Span& span = rs.scope_spans[0].spans[0];
    out = {Render(rs.resource.attributes),   Render(rs.scope_spans[0].scope.attributes),
           Render(span.attributes),          Render(span.events[0].attributes),
           Render(span.links[0].attributes), std::string(span.name)};
  });
  return out;
}

// The span's attributes after a processor configured by `yaml`.
std::string RedactSpan(const std::string& yaml, const AttributeList& attributes) {
  testing::TracesSink sink;
  RedactionProcessor processor(MustParse(yaml), &sink);
  EXPECT_TRUE(processor.ConsumeTraces(MakeBatch(attributes)).ok());
  return Inspect(sink).span;
}

KeyValue Str(std::string_view key, std::string_view value) {
  return {key, AnyValue::String(value)};
}
KeyValue Int(std::string_view key, int64_t value) { return {key, AnyValue::Int(value)}; }

TEST(RedactionProcessorTest, DefaultConfigRemovesEveryAttributeSilently) {
  EXPECT_EQ(RedactSpan("{}", {Str("name", "x"), Int("id", 5)}), "");
}

TEST(RedactionProcessorTest, AllowedKeysKeepOnlyListedKeys) {
  EXPECT_EQ(RedactSpan("allowed_keys: [id, name]\nsummary: debug\n",
                       {Int("id", 5), Str("name", "placeholder"),
                        Str("credit_card", "4111111111111111"), Str("birth_date", "1990-01-01")}),
            "id=5, name=\"placeholder\", redaction.redacted.keys=\"birth_date,credit_card\", "
            "redaction.redacted.count=2");
}

TEST(RedactionProcessorTest, AllowAllKeysKeepsUnlistedKeys) {
  EXPECT_EQ(RedactSpan("allow_all_keys: true\nallowed_keys: [id]\nsummary: debug\n",
                       {Int("id", 5), Str("name", "placeholder")}),
            "id=5, name=\"placeholder\"");
}

TEST(RedactionProcessorTest, MasksCardNumbersInsideLongerValues) {
  EXPECT_EQ(RedactSpan(R"yaml(
allow_all_keys: true
blocked_values:
  - "4[0-9]{12}(?:[0-9]{3})?"  # Visa
  - "(5[1-5][0-9]{14})"        # MasterCard
summary: info
)yaml",
                       {Str("note", "paid with 4111111111111111 yesterday"),
                        Str("mc", "5555555555554444"), Int("id", 5), Str("safe", "no card")}),
            "note=\"paid with **** yesterday\", mc=\"****\", id=5, safe=\"no card\", "
            "redaction.masked.count=2");
}

TEST(RedactionProcessorTest, ReadmeCardNumberExample) {
  EXPECT_EQ(RedactSpan(R"yaml(
allowed_keys: [id, note]
ignored_keys: [safe_attribute]
blocked_values:
  - "4[0-9]{12}(?:[0-9]{3})?"  # Visa
  - "(5[1-5][0-9]{14})"        # MasterCard
summary: debug
)yaml",
                       {Str("note", "paid with 4111111111111111, refund to 5555555555554444"),
                        Int("id", 42), Str("safe_attribute", "4111111111111112"),
                        Str("customer.email", "jane@example.com")}),
            "note=\"paid with ****, refund to ****\", id=42, safe_attribute=\"4111111111111112\", "
            "redaction.redacted.keys=\"customer.email\", redaction.redacted.count=1, "
            "redaction.masked.keys=\"note\", redaction.masked.count=1, "
            "redaction.ignored.count=1");
}

TEST(RedactionProcessorTest, IgnoredKeysPassUntouchedAndAreOnlyCounted) {
  EXPECT_EQ(RedactSpan(
                R"yaml(
allowed_keys: [note]
ignored_keys: [safe_attribute]
ignored_key_patterns: ["^trusted\\."]
blocked_values: ["4[0-9]{12}(?:[0-9]{3})?"]
summary: debug
)yaml",
                {Str("safe_attribute", "4111111111111111"), Str("trusted.card", "4111111111111111"),
                 Str("note", "4111111111111111"), Str("other", "x")}),
            "safe_attribute=\"4111111111111111\", trusted.card=\"4111111111111111\", "
            "note=\"****\", redaction.redacted.keys=\"other\", redaction.redacted.count=1, "
            "redaction.masked.keys=\"note\", redaction.masked.count=1, "
            "redaction.ignored.count=2");
}

TEST(RedactionProcessorTest, BlockedKeyPatternsMaskTheWholeValue) {
  // Unanchored, as the Collector matches; a non-string value becomes the
  // string mask, and `.*` masks each line of a multi-line value.
  EXPECT_EQ(RedactSpan(
                R"yaml(
allow_all_keys: true
blocked_key_patterns: [".*token.*", "api_key"]
summary: debug
)yaml",
                {Str("auth_token", "abc123"), Str("my_api_key_v2", "secret"), Int("pin", 1234),
                 Int("session_token", 1234), Str("multi_token", "line1\nline2"), Str("name", "x")}),
            "auth_token=\"****\", my_api_key_v2=\"****\", pin=1234, session_token=\"****\", "
            "multi_token=\"****\n****\", name=\"x\", "
            "redaction.masked.keys=\"auth_token,multi_token,my_api_key_v2,session_token\", "
            "redaction.masked.count=4");
}

TEST(RedactionProcessorTest, AllowedValuesWinOverBlockedValues) {
  // An allowed match anywhere keeps the whole value, blocked parts included.
  EXPECT_EQ(RedactSpan(R"yaml(
allow_all_keys: true
blocked_values: ["mycompany.com"]
allowed_values: ["support.mycompany.com"]
summary: debug
)yaml",
                       {Str("contact", "support.mycompany.com"), Str("site", "www.mycompany.com"),
                        Str("mail", "user@mycompany.com and support.mycompany.com")}),
            "contact=\"support.mycompany.com\", site=\"www.****\", "
            "mail=\"user@mycompany.com and support.mycompany.com\", "
            "redaction.masked.keys=\"site\", redaction.masked.count=1, "
            "redaction.allowed.keys=\"contact,mail\", redaction.allowed.count=2");
}

TEST(RedactionProcessorTest, NonStringValuesAreMatchedOnlyWithRedactAllTypes) {
  const std::string config = "allow_all_keys: true\nblocked_values: ['4[0-9]{12}(?:[0-9]{3})?']\n";
  AttributeList attributes = {Int("card", 4111111111111111), {"ok", AnyValue::Bool(true)}};
  EXPECT_EQ(RedactSpan(config, attributes), "card=4111111111111111, ok=true");
  EXPECT_EQ(RedactSpan(config + "redact_all_types: true\n", attributes), "card=\"****\", ok=true");
}

TEST(RedactionProcessorTest, HashFunctionsReplaceMatchesWithHexDigests) {
  // Digests as Go's crypto packages compute them for "4111111111111111".
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"hash_function: MD5", "5910f4ea0062a0e29afd3dccc741e3ce"},
      {"hash_function: sha1", "68bfb396f35af3876fc509665b3dc23a0930aab1"},
      {"hash_function: sha3", "6099154214406cce6105a4688ab66533d3a55d1d7dd393cbccf22b487a22d922"},
      {"hash_function: hmac-sha256\nhmac_key: 0123456789abcdef0123456789abcdef",
       "7b7e6cb2715c7b1c37110f035123abd3fe93c04fa302da2946c4bd9342d2fd2c"},
      {"hash_function: hmac-sha512\nhmac_key: k",
       "3fff4a28edd2e8030aa189385f81ef132ec3beac37334ed249e6e03062c7ce1feba913bb9a8e247492514eb2b"
       "537d470ea141becf5a492fffa235e20b76f9e4e"},
      {"hash_function: none", "****"},
  };
  for (const auto& [hash, digest] : cases) {
    EXPECT_EQ(RedactSpan("allow_all_keys: true\nblocked_values: ['4[0-9]{15}']\n" + hash,
                         {Str("note", "card 4111111111111111.")}),
              "note=\"card " + digest + ".\"")
        << hash;
  }
  EXPECT_EQ(RedactSpan("allow_all_keys: true\nblocked_key_patterns: [token]\nhash_function: md5",
                       {Str("token", "tokenize")}),
            "token=\"77e9ef3680c5518785ef0121d3884c3d\"");
}

TEST(RedactionProcessorTest, SummaryLevelsDecideWhatIsRecorded) {
  const std::string base = R"yaml(
allowed_keys: [note, email]
ignored_keys: [safe]
blocked_values: ["4[0-9]{12}(?:[0-9]{3})?"]
allowed_values: [".+@mycompany.com"]
)yaml";
  AttributeList attributes = {Str("note", "4111111111111111"), Str("email", "a@mycompany.com"),
                              Str("safe", "s"), Str("gone", "g")};
  const std::string kept = "note=\"****\", email=\"a@mycompany.com\", safe=\"s\"";
  EXPECT_EQ(RedactSpan(base + "summary: debug", attributes),
            kept +
                ", redaction.redacted.keys=\"gone\", redaction.redacted.count=1, "
                "redaction.masked.keys=\"note\", redaction.masked.count=1, "
                "redaction.allowed.keys=\"email\", redaction.allowed.count=1, "
                "redaction.ignored.count=1");
  EXPECT_EQ(RedactSpan(base + "summary: info", attributes),
            kept +
                ", redaction.redacted.count=1, redaction.masked.count=1, "
                "redaction.allowed.count=1, redaction.ignored.count=1");
  EXPECT_EQ(RedactSpan(base + "summary: silent", attributes), kept);
  EXPECT_EQ(RedactSpan(base, attributes), kept);
}

TEST(RedactionProcessorTest, SummaryAccumulatesAcrossProcessors) {
  testing::TracesSink sink;
  RedactionProcessor second(MustParse("allowed_keys: [a]\nsummary: debug"), &sink);
  RedactionProcessor first(MustParse("allowed_keys: [a, b]\nsummary: debug"), &second);
  ASSERT_TRUE(
      first.ConsumeTraces(MakeBatch({Str("a", "1"), Str("b", "2"), Str("y", "4"), Str("x", "3")}))
          .ok());
  // The first summary survives `allowed_keys`; the second merges into it.
  EXPECT_EQ(Inspect(sink).span,
            "a=\"1\", redaction.redacted.keys=\"b,x,y\", redaction.redacted.count=3");
}

TEST(RedactionProcessorTest, RedactsEveryAttributeMapButLinks) {
  testing::TracesSink sink;
  RedactionProcessor processor(MustParse("allowed_keys: [keep]\nsummary: info"), &sink);
  ASSERT_TRUE(processor.ConsumeTraces(MakeBatch({Str("keep", "k"), Str("drop", "d")})).ok());
  Rendered out = Inspect(sink);
  const std::string redacted = "keep=\"k\", redaction.redacted.count=1";
  EXPECT_EQ(out.resource, redacted);
  EXPECT_EQ(out.scope, redacted);
  EXPECT_EQ(out.span, redacted);
  EXPECT_EQ(out.event, redacted);
  EXPECT_EQ(out.link, "keep=\"k\", drop=\"d\"");
  EXPECT_EQ(out.span_name, "span-0");
}

std::string ConfigError(const std::string& yaml) {
  RedactionConfig config;
  Status st = Parse(yaml, &config);
  EXPECT_FALSE(st.ok()) << yaml;
  return st.message();
}

TEST(RedactionProcessorTest, InvalidPatternIsAnErrorNamingItsKey) {
  for (const char* key :
       {"ignored_key_patterns", "blocked_key_patterns", "blocked_values", "allowed_values"}) {
    std::string message = ConfigError(std::string(key) + ": ['ok', '(']");
    EXPECT_NE(message.find(std::string("processors.redaction.") + key +
                           ": invalid regular expression \"(\""),
              std::string::npos)
        << message;
  }
  EXPECT_NE(ConfigError("blocked_values: ['(a)\\1']").find("processors.redaction.blocked_values"),
            std::string::npos);
}

TEST(RedactionProcessorTest, RefusesUnknownOrUnsupportedSettings) {
  EXPECT_NE(ConfigError("allowed_key: [a]").find("unknown key \"allowed_key\""), std::string::npos);
  EXPECT_NE(ConfigError("hash_function: sha256")
                .find("processors.redaction.hash_function: unknown hash function \"sha256\""),
            std::string::npos);
  EXPECT_NE(ConfigError("hash_function: hmac-sha256")
                .find("processors.redaction.hmac_key: must be set when hash_function is "
                      "hmac-sha256"),
            std::string::npos);
  EXPECT_NE(ConfigError("summary: verbose")
                .find("processors.redaction.summary: unknown level \"verbose\""),
            std::string::npos);
  EXPECT_NE(ConfigError("url_sanitizer: {enabled: true}")
                .find("processors.redaction.url_sanitizer: is not supported"),
            std::string::npos);
  EXPECT_NE(ConfigError("db_sanitizer: {}").find("processors.redaction.db_sanitizer: is not"),
            std::string::npos);
}

TEST(RedactionProcessorTest, FactoryBuildsAMutatingProcessorWithContribDefaults) {
  auto factory = NewRedactionProcessorFactory();
  EXPECT_EQ(factory->type(), "redaction");
  ComponentConfigPtr config = factory->CreateDefaultConfig();
  const auto& redaction = static_cast<const RedactionConfig&>(*config);
  EXPECT_FALSE(redaction.allow_all_keys);
  EXPECT_FALSE(redaction.redact_all_types);
  EXPECT_EQ(redaction.summary, RedactionSummary::kSilent);
  testing::TracesSink sink;
  Result<ProcessorPtr> processor = factory->CreateTracesProcessor(Settings{}, *config, &sink);
  ASSERT_TRUE(processor.ok());
  EXPECT_TRUE((*processor)->MutatesData());
}

}  // namespace
}  // namespace polytrace
