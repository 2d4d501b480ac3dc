#pragma once

#include "exporters/otlphttp/otlphttp_exporter.h"
