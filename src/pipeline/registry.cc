#include "pipeline/registry.h"

namespace polytrace {

const char* ComponentKindName(ComponentKind kind) {
  switch (kind) {
    case ComponentKind::kReceiver: return "receiver";
    case ComponentKind::kProcessor: return "processor";
    case ComponentKind::kExporter: return "exporter";
    case ComponentKind::kExtension: return "extension";
  }
  return "component";
}

ComponentId ComponentId::Parse(const std::string& text) {
  size_t slash = text.find('/');
  if (slash == std::string::npos) return {text, ""};
  return {text.substr(0, slash), text.substr(slash + 1)};
}

void ComponentRegistry::Add(std::unique_ptr<ReceiverFactory> f) {
  std::string t = f->type();
  receivers_[t] = std::move(f);
}
void ComponentRegistry::Add(std::unique_ptr<ProcessorFactory> f) {
  std::string t = f->type();
  processors_[t] = std::move(f);
}
void ComponentRegistry::Add(std::unique_ptr<ExporterFactory> f) {
  std::string t = f->type();
  exporters_[t] = std::move(f);
}
void ComponentRegistry::Add(std::unique_ptr<ExtensionFactory> f) {
  std::string t = f->type();
  extensions_[t] = std::move(f);
}

namespace {
template <typename M>
auto FindIn(const M& m, const std::string& type) -> decltype(m.begin()->second.get()) {
  auto it = m.find(type);
  return it == m.end() ? nullptr : it->second.get();
}
template <typename M>
std::vector<std::string> KeysOf(const M& m) {
  std::vector<std::string> out;
  for (const auto& [k, v] : m) out.push_back(k);
  return out;
}
}  // namespace

const ReceiverFactory* ComponentRegistry::receiver(const std::string& t) const {
  return FindIn(receivers_, t);
}
const ProcessorFactory* ComponentRegistry::processor(const std::string& t) const {
  return FindIn(processors_, t);
}
const ExporterFactory* ComponentRegistry::exporter(const std::string& t) const {
  return FindIn(exporters_, t);
}
const ExtensionFactory* ComponentRegistry::extension(const std::string& t) const {
  return FindIn(extensions_, t);
}

const Factory* ComponentRegistry::Find(ComponentKind kind, const std::string& type) const {
  switch (kind) {
    case ComponentKind::kReceiver: return receiver(type);
    case ComponentKind::kProcessor: return processor(type);
    case ComponentKind::kExporter: return exporter(type);
    case ComponentKind::kExtension: return extension(type);
  }
  return nullptr;
}

std::vector<std::string> ComponentRegistry::Types(ComponentKind kind) const {
  switch (kind) {
    case ComponentKind::kReceiver: return KeysOf(receivers_);
    case ComponentKind::kProcessor: return KeysOf(processors_);
    case ComponentKind::kExporter: return KeysOf(exporters_);
    case ComponentKind::kExtension: return KeysOf(extensions_);
  }
  return {};
}

}  // namespace polytrace
