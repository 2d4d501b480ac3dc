#pragma once

#include "exporters/file/file_exporter.h"
