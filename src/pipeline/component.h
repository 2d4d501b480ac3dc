// The Collector's component lifecycle, in C++.
//
// Start runs once, downstream components first; Shutdown is idempotent, safe
// without Start, and stops upstream components first so nothing is lost.
#pragma once

#include <memory>
#include <string>

#include "core/admission.h"
#include "core/status.h"
#include "pipeline/consumer.h"

namespace polytrace {

class MetricsRegistry;
class Exporter;
class Extension;
struct ComponentId;

// What a running component can reach of the process around it.
class Host {
 public:
  virtual ~Host() = default;
  virtual MetricsRegistry& metrics() = 0;
  // A started extension by id ("file_storage/queue"), nullptr if none.
  virtual Extension* GetExtension(const ComponentId& id) = 0;
  // A built exporter by id ("polytrace_store"), nullptr if none. Exporters
  // start after extensions: resolve at use, not in Start.
  virtual Exporter* GetExporter(const ComponentId&) { return nullptr; }
  // The process's memory admission (see admission.h); null: admit everything.
  virtual AdmissionGate* admission() { return nullptr; }
};

class Component {
 public:
  virtual ~Component() = default;
  virtual Status Start(Host& host) = 0;
  // Flushes what the component holds (batches, queues) within its deadline.
  virtual void Shutdown() = 0;
};

class Receiver : public Component {};

class Processor : public Component, public TracesConsumer {};

class Exporter : public Component, public TracesConsumer {};

class Extension : public Component {};

using ReceiverPtr = std::unique_ptr<Receiver>;
using ProcessorPtr = std::unique_ptr<Processor>;
using ExporterPtr = std::unique_ptr<Exporter>;
using ExtensionPtr = std::unique_ptr<Extension>;

}  // namespace polytrace
