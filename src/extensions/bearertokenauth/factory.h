#pragma once

#include "extensions/bearertokenauth/bearer_token_auth.h"
