// How one old attribute becomes its stable attribute(s): most carry the
// value over; a few split it (http.host -> server.address + server.port,
// http.target -> url.path + url.query) or map enumerated values
// (messaging.operation publish -> send).
#pragma once

#include <vector>

#include "core/arena.h"
#include "core/traces.h"
#include "semconv/semconv_keys.h"

namespace polytrace::semconv {

// The stable attributes `value` under `rename` becomes, strings in `arena`.
// Empty when the value cannot be converted (a wrong type, kNone): the old
// attribute is then left as it is.
std::vector<KeyValue> ConvertAttribute(const Rename& rename, const AnyValue& value, Arena& arena);

// The canonical name of a gRPC status code (5 -> "NOT_FOUND"), empty when unknown.
std::string_view GrpcCodeName(int64_t code);

}  // namespace polytrace::semconv
