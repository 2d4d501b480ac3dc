#pragma once

#include <memory>

#include "pipeline/factory.h"

namespace polytrace {

// Type "otlp": OTLP/gRPC (:4317) and OTLP/HTTP (:4318) trace receiver.
std::unique_ptr<ReceiverFactory> NewOtlpReceiverFactory();

}  // namespace polytrace
