#pragma once

#include "exporters/nop/nop_exporter.h"
