#pragma once

#include "processors/semconv/semconv_processor.h"
