#include "receivers/otlp/factory.h"

#include "receivers/otlp/otlp_receiver.h"

namespace polytrace {
namespace {

class OtlpReceiverFactory : public ReceiverFactory {
 public:
  std::string type() const override { return "otlp"; }
  ComponentConfigPtr CreateDefaultConfig() const override {
    return std::make_unique<OtlpReceiverConfig>();
  }
  Result<ReceiverPtr> CreateTracesReceiver(const Settings& settings, const ComponentConfig& config,
                                           TracesConsumer* next) const override {
    return ReceiverPtr(std::make_unique<OtlpReceiver>(
        settings, static_cast<const OtlpReceiverConfig&>(config), next));
  }
};

}  // namespace

std::unique_ptr<ReceiverFactory> NewOtlpReceiverFactory() {
  return std::make_unique<OtlpReceiverFactory>();
}

}  // namespace polytrace
