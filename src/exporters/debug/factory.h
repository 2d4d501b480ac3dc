#pragma once

#include "exporters/debug/debug_exporter.h"
