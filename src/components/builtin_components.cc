#include "components/builtin_components.h"

#include "exporters/debug/factory.h"
#include "exporters/file/factory.h"
#include "exporters/nop/factory.h"
#include "exporters/otlp/factory.h"
#include "exporters/otlphttp/factory.h"
#include "exporters/polytrace_store/polytrace_store_exporter.h"
#include "extensions/basicauth/factory.h"
#include "extensions/bearertokenauth/factory.h"
#include "extensions/file_storage/factory.h"
#include "extensions/polytrace_query/polytrace_query_extension.h"
#include "processors/attributes/factory.h"
#include "processors/batch/factory.h"
#include "processors/filter/factory.h"
#include "processors/memory_limiter/factory.h"
#include "processors/redaction/factory.h"
#include "processors/resource/factory.h"
#include "processors/semconv/factory.h"
#include "receivers/otlp/factory.h"

namespace polytrace {

void RegisterBuiltinComponents(ComponentRegistry& registry) {
  registry.Add(NewOtlpReceiverFactory());

  registry.Add(NewBatchProcessorFactory());
  registry.Add(NewMemoryLimiterProcessorFactory());
  registry.Add(NewResourceProcessorFactory());
  registry.Add(NewAttributesProcessorFactory());
  registry.Add(NewFilterProcessorFactory());
  registry.Add(NewRedactionProcessorFactory());
  registry.Add(NewSemconvProcessorFactory());

  registry.Add(NewDebugExporterFactory());
  registry.Add(NewFileExporterFactory());
  registry.Add(NewNopExporterFactory());
  registry.Add(NewOtlpHttpExporterFactory());
  registry.Add(NewOtlpExporterFactory());
  registry.Add(NewPolytraceStoreExporterFactory());

  registry.Add(NewBasicAuthExtensionFactory());
  registry.Add(NewBearerTokenAuthExtensionFactory());
  registry.Add(NewFileStorageExtensionFactory());
  registry.Add(NewPolytraceQueryExtensionFactory());
}

}  // namespace polytrace
