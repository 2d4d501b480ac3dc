#pragma once

#include "processors/memory_limiter/memory_limiter.h"
