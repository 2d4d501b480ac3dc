// Names the calling thread, as `top -H`, `perf` and /proc/PID/task/*/comm
// show it: an operator (or a benchmark) can then tell the receivers' event
// loops from the batch flusher and the exporters' consumers. Linux keeps 15
// bytes; a longer name keeps its first 15.
#pragma once

#include <string_view>

namespace polytrace {

void SetThreadName(std::string_view name);

}  // namespace polytrace
