#pragma once

#include "processors/attributes/attributes_processor.h"
