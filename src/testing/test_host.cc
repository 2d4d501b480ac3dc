#include "testing/test_host.h"

#include <sstream>

namespace polytrace::testing {

double TestHost::MetricValue(const std::string& line_prefix) const {
  std::istringstream text(metrics_.RenderPrometheus());
  std::string line;
  while (std::getline(text, line)) {
    if (line.rfind(line_prefix + " ", 0) == 0)
      return std::stod(line.substr(line_prefix.size() + 1));
  }
  return -1;
}

}  // namespace polytrace::testing
