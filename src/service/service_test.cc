#include "service/service.h"

#include <gtest/gtest.h>

#include "testing/traces_sink.h"

namespace polytrace {
namespace {

// Test doubles: a receiver that exposes its consumer, a processor that
// appends its name to every span name, an exporter that records.
std::vector<std::string>* g_events = nullptr;

struct EmptyConfig : ComponentConfig {
  std::string label;
  Status Unmarshal(ConfigReader& r) override {
    POLYTRACE_RETURN_IF_ERROR(r.Read("label", &label));
    return r.Finish();
  }
};

class FakeReceiver : public Receiver {
 public:
  FakeReceiver(std::string id, TracesConsumer* next) : id_(std::move(id)), next_(next) {}
  Status Start(Host&) override {
    g_events->push_back("start receiver " + id_);
    return Status::Ok();
  }
  void Shutdown() override { g_events->push_back("stop receiver " + id_); }
  TracesConsumer* next() { return next_; }

 private:
  std::string id_;
  TracesConsumer* next_;
};

std::map<std::string, FakeReceiver*> g_receivers;
std::map<std::string, testing::TracesSink*> g_sinks;

class FakeReceiverFactory : public ReceiverFactory {
 public:
  std::string type() const override { return "fake"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<EmptyConfig>();
  }
  Result<ReceiverPtr> CreateTracesReceiver(const Settings& s, const ComponentConfig&,
                                           TracesConsumer* next) const override {
    auto r = std::make_unique<FakeReceiver>(s.id.ToString(), next);
    g_receivers[s.id.ToString()] = r.get();
    return ReceiverPtr(std::move(r));
  }
};

class TagProcessor : public Processor {
 public:
  TagProcessor(std::string tag, TracesConsumer* next) : tag_(std::move(tag)), next_(next) {}
  bool MutatesData() const override { return true; }
  Status Start(Host&) override {
    g_events->push_back("start processor " + tag_);
    return Status::Ok();
  }
  void Shutdown() override { g_events->push_back("stop processor " + tag_); }
  Status ConsumeTraces(Traces t) override {
    for (ResourceSpans& rs : t.resource_spans())
      for (ScopeSpans& ss : rs.scope_spans)
        for (Span& s : ss.spans) s.name = t.arena().Copy(std::string(s.name) + "+" + tag_);
    return next_->ConsumeTraces(std::move(t));
  }

 private:
  std::string tag_;
  TracesConsumer* next_;
};

class TagProcessorFactory : public ProcessorFactory {
 public:
  std::string type() const override { return "tag"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<EmptyConfig>();
  }
  Result<ProcessorPtr> CreateTracesProcessor(const Settings& s, const ComponentConfig&,
                                             TracesConsumer* next) const override {
    return ProcessorPtr(std::make_unique<TagProcessor>(s.id.ToString(), next));
  }
};

class SinkExporter : public Exporter {
 public:
  explicit SinkExporter(std::string id) : id_(std::move(id)) { g_sinks[id_] = &sink_; }
  Status Start(Host&) override {
    g_events->push_back("start exporter " + id_);
    return Status::Ok();
  }
  void Shutdown() override { g_events->push_back("stop exporter " + id_); }
  Status ConsumeTraces(Traces t) override { return sink_.ConsumeTraces(std::move(t)); }

 private:
  std::string id_;
  testing::TracesSink sink_;
};

class SinkExporterFactory : public ExporterFactory {
 public:
  std::string type() const override { return "sink"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<EmptyConfig>();
  }
  Result<ExporterPtr> CreateTracesExporter(const Settings& s,
                                           const ComponentConfig&) const override {
    return ExporterPtr(std::make_unique<SinkExporter>(s.id.ToString()));
  }
};

class ServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    g_events = &events_;
    registry_.Add(std::make_unique<FakeReceiverFactory>());
    registry_.Add(std::make_unique<TagProcessorFactory>());
    registry_.Add(std::make_unique<SinkExporterFactory>());
  }
  Result<CollectorConfig> Parse(const std::string& yaml) {
    return ParseCollectorConfig(yaml, "test.yaml", registry_, [](const std::string& n) {
      return n == "PORT" ? std::optional<std::string>("4318") : std::nullopt;
    });
  }
  std::vector<std::string> events_;
  ComponentRegistry registry_;
  MetricsRegistry metrics_;
};

constexpr const char* kTwoPipelines = R"(
receivers:
  fake:
  fake/internal:
    label: ${env:PORT}
processors:
  tag/a:
  tag/b:
exporters:
  sink/one:
  sink/two:
service:
  pipelines:
    traces:
      receivers: [fake, fake/internal]
      processors: [tag/a, tag/b]
      exporters: [sink/one, sink/two]
    traces/raw:
      receivers: [fake]
      exporters: [sink/two]
)";

TEST_F(ServiceTest, BuildsTheGraphTheCollectorWay) {
  Result<CollectorConfig> config = Parse(kTwoPipelines);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto service = Service::Create(std::move(*config), registry_, &metrics_);
  ASSERT_TRUE(service.ok()) << service.status().ToString();
  ASSERT_TRUE((*service)->Start().ok());

  // "fake" feeds both pipelines; "fake/internal" only the first.
  ASSERT_TRUE(g_receivers["fake"]->next()->ConsumeTraces(testing::MakeTraces("svc", 2)).ok());
  EXPECT_EQ(g_sinks["sink/one"]->SpanCount(), 2u);
  EXPECT_EQ(g_sinks["sink/two"]->SpanCount(), 4u);
  g_sinks["sink/one"]->Inspect([](const std::vector<Traces>& b) {
    EXPECT_EQ(b[0].resource_spans()[0].scope_spans[0].spans[0].name, "span-0+tag/a+tag/b");
  });
  ASSERT_TRUE(
      g_receivers["fake/internal"]->next()->ConsumeTraces(testing::MakeTraces("svc", 1)).ok());
  EXPECT_EQ(g_sinks["sink/one"]->SpanCount(), 3u);
  (*service)->Shutdown();

  // Downstream starts first, upstream stops first.
  auto pos = [&](const std::string& e) {
    return std::find(events_.begin(), events_.end(), e) - events_.begin();
  };
  EXPECT_LT(pos("start exporter sink/one"), pos("start processor tag/b"));
  EXPECT_LT(pos("start processor tag/b"), pos("start processor tag/a"));
  EXPECT_LT(pos("start processor tag/a"), pos("start receiver fake"));
  EXPECT_LT(pos("stop receiver fake"), pos("stop processor tag/a"));
  EXPECT_LT(pos("stop processor tag/b"), pos("stop exporter sink/two"));
}

TEST_F(ServiceTest, UnknownComponentTypeNamesLineAndKnownTypes) {
  auto config = Parse("receivers:\n  fake:\nexporters:\n  sinc:\nservice: {}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "test.yaml:4:3: exporters.sinc: unknown exporter type \"sinc\" (known types: sink)");
}

TEST_F(ServiceTest, UndefinedReferenceIsAnError) {
  auto config = Parse(
      "receivers: {fake: }\nexporters: {sink: }\nservice:\n  pipelines:\n    traces:\n"
      "      receivers: [fake/x]\n      exporters: [sink]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "test.yaml:6:18: service.pipelines.traces.receivers: references receiver \"fake/x\" "
            "which is not configured");
}

TEST_F(ServiceTest, UnknownKeyInsideAComponentIsAnError) {
  auto config = Parse("receivers:\n  fake:\n    lable: x\nexporters: {sink: }\nservice: {}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            "test.yaml:3:5: receivers.fake.lable: unknown key \"lable\"");
}

TEST_F(ServiceTest, MetricsPipelinesAreRefusedClearly) {
  auto config = Parse(
      "receivers: {fake: }\nexporters: {sink: }\nservice:\n  pipelines:\n    metrics:\n"
      "      receivers: [fake]\n      exporters: [sink]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("traces only"), std::string::npos);
}

TEST_F(ServiceTest, PipelineWithoutExporterIsAnError) {
  auto config = Parse(
      "receivers: {fake: }\nexporters: {sink: }\nservice:\n  pipelines:\n    traces:\n"
      "      receivers: [fake]\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("must have at least one exporter"), std::string::npos);
}

TEST_F(ServiceTest, ReadsBothFormsOfTheMetricsEndpoint) {
  const char* base =
      "receivers: {fake: }\nexporters: {sink: }\nservice:\n  pipelines:\n"
      "    traces: {receivers: [fake], exporters: [sink]}\n  telemetry:\n";
  auto config = Parse(std::string(base) + "    metrics: {address: 127.0.0.1:9999}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->telemetry.metrics_address, "127.0.0.1:9999");
  config = Parse(std::string(base) +
                 "    metrics:\n      readers:\n        - pull:\n            exporter:\n"
                 "              prometheus: {host: 0.0.0.0, port: 8899}\n");
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  EXPECT_EQ(config->telemetry.metrics_address, "0.0.0.0:8899");
  config = Parse(std::string(base) + "    metrics: {level: none}\n");
  EXPECT_EQ(config->telemetry.metrics_address, "");
}

TEST_F(ServiceTest, InvalidYamlReportsPosition) {
  auto config = Parse("receivers:\n  fake: [\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message().rfind("test.yaml:", 0), 0u);
  EXPECT_NE(config.status().message().find("invalid YAML"), std::string::npos);
}

// Found by fuzzing: a key that is not a scalar (`? [a, b]`) threw out of
// the config reader and terminated the process.
TEST_F(ServiceTest, KeysThatAreNotScalarsAreAnErrorNotACrash) {
  auto config = Parse("receivers:\n  ? [a, b]\n  : {}\nservice: {}\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("[a, b]"), std::string::npos)
      << config.status().message();
  config = Parse("? {x: 1}\n: 2\nservice: {}\n");
  EXPECT_FALSE(config.ok());
}

TEST_F(ServiceTest, DeeplyNestedYamlIsAnErrorNotACrash) {
  auto config = Parse("receivers: " + std::string(100000, '[') + std::string(100000, ']') + "\n");
  ASSERT_FALSE(config.ok());
  EXPECT_NE(config.status().message().find("invalid YAML: nested too deeply"), std::string::npos)
      << config.status().message();
}

}  // namespace
}  // namespace polytrace
