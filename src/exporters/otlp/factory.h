#pragma once

#include "exporters/otlp/otlp_exporter.h"
