#pragma once

#include "processors/batch/batch_processor.h"
