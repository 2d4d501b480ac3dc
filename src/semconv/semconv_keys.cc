#include "semconv/semconv_keys.h"

#include <algorithm>
#include <array>
#include <unordered_map>
#include <vector>

namespace polytrace::semconv {
namespace {

using enum Domain;
using enum Side;
using enum Conversion;

// Old key -> stable key. Order matters only for readers of this file.
constexpr Rename kRenames[] = {
    // Network attributes, shared by every domain (semconv 1.21 -> 1.23).
    {kNetwork, "net.peer.name", "server.address", kCaller},
    {kNetwork, "net.peer.port", "server.port", kCaller},
    {kNetwork, "net.host.name", "server.address", kCallee},
    {kNetwork, "net.host.port", "server.port", kCallee},
    {kNetwork, "net.sock.peer.addr", "network.peer.address"},
    {kNetwork, "net.sock.peer.port", "network.peer.port"},
    {kNetwork, "net.peer.ip", "network.peer.address"},
    {kNetwork, "net.host.ip", "network.local.address"},
    {kNetwork, "net.sock.host.addr", "network.local.address"},
    {kNetwork, "net.sock.host.port", "network.local.port"},
    {kNetwork, "net.transport", "network.transport", kAny, kNetworkTransport},
    {kNetwork, "net.protocol.name", "network.protocol.name"},
    {kNetwork, "net.protocol.version", "network.protocol.version"},
    {kNetwork, "net.sock.family", "", kAny, kNone},
    // HTTP (1.20 and before -> 1.23, stable).
    {kHttp, "http.method", "http.request.method"},
    {kHttp, "http.status_code", "http.response.status_code"},
    {kHttp, "http.url", "url.full"},
    {kHttp, "http.target", "url.path", kAny, kTarget},
    {kHttp, "http.scheme", "url.scheme"},
    {kHttp, "http.host", "server.address", kAny, kHostPort},
    {kHttp, "http.user_agent", "user_agent.original"},
    {kHttp, "http.client_ip", "client.address"},
    {kHttp, "http.flavor", "network.protocol.version"},
    {kHttp, "http.request_content_length", "http.request.body.size"},
    {kHttp, "http.response_content_length", "http.response.body.size"},
    {kHttp, "http.resend_count", "http.request.resend_count"},
    {kHttp, "http.retry_count", "http.request.resend_count"},
    {kHttp, "http.server_name", "", kAny, kNone},
    {kHttp, "http.request_content_length_uncompressed", "", kAny, kNone},
    {kHttp, "http.response_content_length_uncompressed", "", kAny, kNone},
    // Database (1.24 and before -> 1.33, stable).
    {kDb, "db.statement", "db.query.text"},
    {kDb, "db.operation", "db.operation.name"},
    {kDb, "db.name", "db.namespace"},
    {kDb, "db.system", "db.system.name", kAny, kDbSystemName},
    {kDb, "db.sql.table", "db.collection.name"},
    {kDb, "db.mongodb.collection", "db.collection.name"},
    {kDb, "db.cassandra.table", "db.collection.name"},
    {kDb, "db.cosmosdb.container", "db.collection.name"},
    {kDb, "db.redis.database_index", "db.namespace", kAny, kIntToString},
    {kDb, "db.elasticsearch.cluster.name", "db.namespace"},
    {kDb, "db.user", "", kAny, kNone},
    {kDb, "db.connection_string", "", kAny, kNone},
    {kDb, "db.jdbc.driver_classname", "", kAny, kNone},
    // Messaging (1.16 and before, and 1.17-1.26 -> 1.27 and later).
    {kMessaging, "messaging.destination", "messaging.destination.name"},
    {kMessaging, "messaging.operation", "messaging.operation.type", kAny, kMessagingOperation},
    {kMessaging, "messaging.message_id", "messaging.message.id"},
    {kMessaging, "messaging.conversation_id", "messaging.message.conversation_id"},
    {kMessaging, "messaging.message_payload_size_bytes", "messaging.message.body.size"},
    {kMessaging, "messaging.message.payload_size_bytes", "messaging.message.body.size"},
    {kMessaging, "messaging.kafka.message_key", "messaging.kafka.message.key"},
    {kMessaging, "messaging.kafka.partition", "messaging.destination.partition.id", kAny,
     kIntToString},
    {kMessaging, "messaging.kafka.destination.partition", "messaging.destination.partition.id",
     kAny, kIntToString},
    {kMessaging, "messaging.kafka.consumer_group", "messaging.consumer.group.name"},
    {kMessaging, "messaging.kafka.consumer.group", "messaging.consumer.group.name"},
    {kMessaging, "messaging.kafka.message.offset", "messaging.kafka.offset"},
    {kMessaging, "messaging.kafka.tombstone", "messaging.kafka.message.tombstone"},
    {kMessaging, "messaging.rabbitmq.routing_key", "messaging.rabbitmq.destination.routing_key"},
    {kMessaging, "messaging.temp_destination", "messaging.destination.temporary"},
    {kMessaging, "messaging.protocol", "network.protocol.name"},
    {kMessaging, "messaging.protocol_version", "network.protocol.version"},
    {kMessaging, "messaging.destination_kind", "", kAny, kNone},
    {kMessaging, "messaging.url", "", kAny, kNone},
    // RPC (1.37 and before -> stable).
    {kRpc, "rpc.system", "rpc.system.name"},
    {kRpc, "rpc.grpc.status_code", "rpc.response.status_code", kAny, kGrpcCodeName},
    {kRpc, "rpc.service", "", kAny, kNone},
};

bool SideMatches(Side rename, Side span) { return rename == kAny || rename == span; }

// The analysis looks up every attribute of every span (a million-span trace
// included): by key, not by a walk over the table.
using Index = std::unordered_map<std::string_view, std::vector<const Rename*>>;

const Index& ByOldKey() {
  static const Index* index = [] {
    auto* m = new Index;
    for (const Rename& r : kRenames) (*m)[r.old_key].push_back(&r);
    return m;
  }();
  return *index;
}

const Index& ByStableKey() {
  static const Index* index = [] {
    auto* m = new Index;
    for (const Rename& r : kRenames) {
      if (!r.stable_key.empty()) (*m)[r.stable_key].push_back(&r);
    }
    return m;
  }();
  return *index;
}

bool DomainMatches(Domain rename, Domain span) { return rename == span || rename == kNetwork; }

}  // namespace

std::span<const Rename> Renames() { return kRenames; }

std::string_view DomainName(Domain domain) {
  switch (domain) {
    case kHttp: return "http";
    case kDb: return "db";
    case kMessaging: return "messaging";
    case kRpc: return "rpc";
    case kNetwork: return "network";
  }
  return "unknown";
}

std::optional<Domain> ParseDomain(std::string_view name) {
  for (Domain d : kDomains) {
    if (DomainName(d) == name) return d;
  }
  return std::nullopt;
}

std::string_view OptInToken(Domain domain) {
  return domain == kDb ? "database" : DomainName(domain);
}

Side SideOf(SpanKind kind) {
  return kind == SpanKind::kServer || kind == SpanKind::kConsumer ? kCallee : kCaller;
}

const Rename* FindOldKey(std::string_view key, Domain domain, Side side) {
  auto it = ByOldKey().find(key);
  if (it == ByOldKey().end()) return nullptr;
  for (const Rename* r : it->second) {
    if (DomainMatches(r->domain, domain) && SideMatches(r->side, side)) return r;
  }
  return nullptr;
}

bool IsStableKey(std::string_view key, Domain domain) {
  if (key == "url.query" && domain == kHttp) return true;  // the other half of http.target
  auto it = ByStableKey().find(key);
  if (it == ByStableKey().end()) return false;
  return std::any_of(it->second.begin(), it->second.end(),
                     [&](const Rename* r) { return DomainMatches(r->domain, domain); });
}

std::optional<Domain> DomainOf(const Attributes& attributes) {
  // Checked in this order because an RPC or database span may also carry
  // http.* or url.* keys (gRPC over HTTP/2, a database's HTTP API).
  constexpr std::array<std::pair<std::string_view, Domain>, 5> kPrefixes = {{
      {"rpc.", kRpc},
      {"db.", kDb},
      {"messaging.", kMessaging},
      {"http.", kHttp},
      {"url.", kHttp},
  }};
  std::optional<Domain> found;
  size_t rank = kPrefixes.size();
  for (const KeyValue& kv : attributes) {
    for (size_t i = 0; i < rank; ++i) {
      if (kv.key.starts_with(kPrefixes[i].first)) {
        rank = i;
        found = kPrefixes[i].second;
        break;
      }
    }
  }
  return found;
}

std::vector<std::string_view> EquivalentKeys(std::string_view key) {
  std::vector<std::string_view> group = {key};
  // The renames form small groups (one stable key, a few old ones); a fixed
  // point over them is cheap and finds every member.
  for (bool grew = true; grew;) {
    grew = false;
    for (const Rename& r : kRenames) {
      // A database system's name is the same string for all but a few
      // systems, so it still finds what a search means.
      if (r.conversion != kSame && r.conversion != kDbSystemName) continue;
      bool has_old = std::find(group.begin(), group.end(), r.old_key) != group.end();
      bool has_stable = std::find(group.begin(), group.end(), r.stable_key) != group.end();
      if (has_old == has_stable) continue;
      group.push_back(has_old ? r.stable_key : r.old_key);
      grew = true;
    }
  }
  group.erase(group.begin());
  return group;
}

}  // namespace polytrace::semconv
