#pragma once

#include "processors/resource/resource_processor.h"
