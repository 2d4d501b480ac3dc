#pragma once

#include "extensions/file_storage/file_storage.h"
