#pragma once

#include "extensions/basicauth/basic_auth.h"
