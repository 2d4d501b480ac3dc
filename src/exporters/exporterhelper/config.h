// The Collector's exporterhelper settings, shared by every exporter:
// `timeout`, `retry_on_failure` and `sending_queue`, with their defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "config/config_reader.h"

namespace polytrace {

struct RetryConfig {
  bool enabled = true;
  std::chrono::milliseconds initial_interval{5000};
  double randomization_factor = 0.5;
  double multiplier = 1.5;
  std::chrono::milliseconds max_interval{30000};
  std::chrono::milliseconds max_elapsed_time{300000};  // 0: retry forever

  Status Unmarshal(ConfigReader& parent);
};

struct QueueConfig {
  bool enabled = true;
  int num_consumers = 10;
  int64_t queue_size = 1000;  // in requests (sizer: requests) or spans (sizer: items)
  std::string sizer = "requests";
  bool block_on_overflow = false;
  std::string storage;  // a file_storage extension id: the queue survives restarts

  Status Unmarshal(ConfigReader& parent);
};

struct ExporterHelperConfig {
  std::chrono::milliseconds timeout{5000};
  RetryConfig retry;
  QueueConfig queue;

  // Reads `timeout`, `retry_on_failure` and `sending_queue` from an exporter's section.
  Status Unmarshal(ConfigReader& exporter);
};

}  // namespace polytrace
