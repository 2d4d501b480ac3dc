#pragma once

#include "processors/filter/filter_processor.h"
