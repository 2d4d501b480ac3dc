#include "service/service.h"

#include <fmt/format.h>

#include "pipeline/auth.h"
#include "telemetry/logging.h"

namespace polytrace {

Service::Service(CollectorConfig config, MetricsRegistry* metrics)
    : config_(std::move(config)), metrics_(metrics) {}

Service::~Service() { Shutdown(); }

Result<std::unique_ptr<Service>> Service::Create(CollectorConfig config,
                                                 const ComponentRegistry& registry,
                                                 MetricsRegistry* metrics) {
  std::unique_ptr<Service> service(new Service(std::move(config), metrics));
  POLYTRACE_RETURN_IF_ERROR(service->Build(registry));
  return service;
}

Settings Service::MakeSettings(ComponentKind kind, const ComponentId& id,
                               const std::string& pipeline) {
  Settings s;
  s.id = id;
  s.logger = MakeLogger(fmt::format("{}/{}", ComponentKindName(kind), id.ToString()));
  s.metrics = metrics_;
  s.pipeline = pipeline;
  return s;
}

Status Service::Build(const ComponentRegistry& registry) {
  for (const ComponentId& id : config_.service_extensions) {
    const ExtensionFactory* f = registry.extension(id.type);
    Result<ExtensionPtr> ext = f->CreateExtension(MakeSettings(ComponentKind::kExtension, id, ""),
                                                  *config_.extensions.at(id));
    if (!ext.ok()) return ext.status().WithContext("extension " + id.ToString());
    extensions_[id] = std::move(*ext);
  }

  // Receivers may feed several pipelines: collect each one's entry points.
  std::map<ComponentId, std::vector<TracesConsumer*>> receiver_targets;
  for (const PipelineConfig& p : config_.pipelines) {
    std::vector<TracesConsumer*> exporters;
    for (const ComponentId& id : p.exporters) {
      if (!exporters_.count(id)) {
        const ExporterFactory* f = registry.exporter(id.type);
        Result<ExporterPtr> e = f->CreateTracesExporter(
            MakeSettings(ComponentKind::kExporter, id, ""), *config_.exporters.at(id));
        if (!e.ok()) return e.status().WithContext("exporter " + id.ToString());
        exporters_[id] = std::move(*e);
      }
      exporters.push_back(exporters_[id].get());
    }
    fanouts_.push_back(std::make_unique<FanOut>(std::move(exporters)));
    TracesConsumer* next = fanouts_.back().get();

    std::vector<ProcessorPtr> chain(p.processors.size());
    for (size_t i = p.processors.size(); i-- > 0;) {
      const ComponentId& id = p.processors[i];
      const ProcessorFactory* f = registry.processor(id.type);
      Result<ProcessorPtr> proc = f->CreateTracesProcessor(
          MakeSettings(ComponentKind::kProcessor, id, p.name), *config_.processors.at(id), next);
      if (!proc.ok()) {
        return proc.status().WithContext(
            fmt::format("pipeline {} processor {}", p.name, id.ToString()));
      }
      chain[i] = std::move(*proc);
      next = chain[i].get();
    }
    processors_.push_back(std::move(chain));
    for (const ComponentId& id : p.receivers) receiver_targets[id].push_back(next);
  }

  for (auto& [id, targets] : receiver_targets) {
    fanouts_.push_back(std::make_unique<FanOut>(targets));
    const ReceiverFactory* f = registry.receiver(id.type);
    Result<ReceiverPtr> r =
        f->CreateTracesReceiver(MakeSettings(ComponentKind::kReceiver, id, ""),
                                *config_.receivers.at(id), fanouts_.back().get());
    if (!r.ok()) return r.status().WithContext("receiver " + id.ToString());
    receivers_[id] = std::move(*r);
  }
  return Status::Ok();
}

Status Service::Start() {
  auto fail = [this](const Status& st, const std::string& what) {
    Shutdown();
    return st.WithContext("starting " + what);
  };
  // Authenticators first: other extensions (polytrace_query) resolve them
  // when they start, as the Collector orders extensions by dependency.
  for (bool authenticators : {true, false}) {
    for (auto& [id, ext] : extensions_) {
      bool is_auth = dynamic_cast<ServerAuthenticator*>(ext.get()) != nullptr ||
                     dynamic_cast<ClientAuthenticator*>(ext.get()) != nullptr;
      if (is_auth != authenticators) continue;
      Status st = ext->Start(*this);
      if (!st.ok()) return fail(st, "extension " + id.ToString());
    }
  }
  for (auto& [id, exp] : exporters_) {
    Status st = exp->Start(*this);
    if (!st.ok()) return fail(st, "exporter " + id.ToString());
  }
  for (auto& chain : processors_) {
    for (size_t i = chain.size(); i-- > 0;) {
      Status st = chain[i]->Start(*this);
      if (!st.ok()) return fail(st, "processor");
    }
  }
  for (auto& [id, rcv] : receivers_) {
    Status st = rcv->Start(*this);
    if (!st.ok()) return fail(st, "receiver " + id.ToString());
  }
  return Status::Ok();
}

void Service::Shutdown() {
  if (shut_down_) return;
  shut_down_ = true;
  for (auto& [id, rcv] : receivers_) rcv->Shutdown();
  for (auto& chain : processors_) {
    for (auto& proc : chain) proc->Shutdown();
  }
  for (auto& [id, exp] : exporters_) exp->Shutdown();
  for (auto& [id, ext] : extensions_) ext->Shutdown();
}

Exporter* Service::GetExporter(const ComponentId& id) {
  auto it = exporters_.find(id);
  return it == exporters_.end() ? nullptr : it->second.get();
}

Extension* Service::GetExtension(const ComponentId& id) {
  auto it = extensions_.find(id);
  return it == extensions_.end() ? nullptr : it->second.get();
}

}  // namespace polytrace
