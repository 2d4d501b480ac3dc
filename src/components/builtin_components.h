// The one table that names every built-in component. The core never names a
// concrete component; adding one means a new folder and one line here.
#pragma once

#include "pipeline/registry.h"

namespace polytrace {

void RegisterBuiltinComponents(ComponentRegistry& registry);

}  // namespace polytrace
