// Semantic-convention generations: which attribute keys the old (pre-stable)
// conventions used and which stable key replaced each, per domain (HTTP,
// database, messaging, RPC), with how the value changes on the way.
//
// One table serves three readers: the trace analysis, which names the keys
// of each generation a trace contains; the `semconv` processor, which
// rewrites old keys to stable ones; and the query side, which looks a key
// up under either generation's name. The pairs follow the semantic
// conventions' migration guides (HTTP 1.20 -> 1.23, database 1.33,
// messaging 1.24/1.27, RPC after 1.37).
#pragma once

#include <optional>
#include <span>
#include <string_view>
#include <vector>

#include "core/traces.h"

namespace polytrace::semconv {

// kNetwork keys (net.peer.name, ...) are shared: they belong to whichever
// domain the span is in.
enum class Domain : uint8_t { kHttp, kDb, kMessaging, kRpc, kNetwork };
inline constexpr Domain kDomains[] = {Domain::kHttp, Domain::kDb, Domain::kMessaging, Domain::kRpc};

std::string_view DomainName(Domain domain);  // http, db, messaging, rpc, network
std::optional<Domain> ParseDomain(std::string_view name);
// The OTEL_SEMCONV_STABILITY_OPT_IN value that switches an SDK's
// instrumentations of `domain` to the stable keys (http, database, ...).
std::string_view OptInToken(Domain domain);

// Which spans an old key maps on: net.peer.name was the server's name on a
// client span but the client's on a server span.
enum class Side : uint8_t { kAny, kCaller, kCallee };
Side SideOf(SpanKind kind);  // CLIENT/PRODUCER/INTERNAL: caller; SERVER/CONSUMER: callee

enum class Conversion : uint8_t {
  kSame,                // the value carries over unchanged
  kHostPort,            // "host:8080" -> server.address "host" (+ server.port 8080)
  kTarget,              // "/p?q=1" -> url.path "/p" (+ url.query "q=1")
  kIntToString,         // 3 -> "3"
  kGrpcCodeName,        // 5 -> "NOT_FOUND"
  kMessagingOperation,  // publish -> send
  kDbSystemName,        // mssql -> microsoft.sql_server
  kNetworkTransport,    // ip_tcp -> tcp
  kNone,                // dropped by the stable conventions: no counterpart
};

struct Rename {
  Domain domain;
  std::string_view old_key;
  std::string_view stable_key;  // empty for kNone
  Side side = Side::kAny;
  Conversion conversion = Conversion::kSame;
};

std::span<const Rename> Renames();

// The rename of old key `key` on a span of `domain` and `side`; network keys
// match every domain. nullptr when `key` is not an old key there.
const Rename* FindOldKey(std::string_view key, Domain domain, Side side);
// Whether `key` is a key the stable conventions of `domain` (or the shared
// network keys) introduced.
bool IsStableKey(std::string_view key, Domain domain);

// The domain a span's attributes put it in (rpc.*, db.*, messaging.*,
// http.* or url.*, in that order), nullopt when none.
std::optional<Domain> DomainOf(const Attributes& attributes);

// Every key that names the same value as `key` in the other generation
// (renames that keep the value, transitively): http.response.status_code ->
// {http.status_code}; server.address -> {net.peer.name, net.host.name}.
// Empty for a key with no counterpart.
std::vector<std::string_view> EquivalentKeys(std::string_view key);

}  // namespace polytrace::semconv
