#pragma once

#include "processors/redaction/redaction_processor.h"
