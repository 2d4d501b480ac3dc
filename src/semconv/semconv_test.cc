#include <gtest/gtest.h>

#include "semconv/convert.h"
#include "semconv/semconv_keys.h"

namespace polytrace::semconv {
namespace {

Attributes Attrs(Arena& arena, std::initializer_list<std::string_view> keys) {
  Attributes a;
  for (std::string_view k : keys) a.Append(arena, {k, AnyValue::String("x")});
  return a;
}

TEST(SemconvKeysTest, OldKeysMapByDomainAndSide) {
  const Rename* r = FindOldKey("http.status_code", Domain::kHttp, Side::kCallee);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->stable_key, "http.response.status_code");
  EXPECT_EQ(FindOldKey("http.status_code", Domain::kDb, Side::kCallee), nullptr);
  // Network keys belong to every domain, but net.peer.name only on the calling side.
  ASSERT_NE(FindOldKey("net.peer.name", Domain::kDb, Side::kCaller), nullptr);
  EXPECT_EQ(FindOldKey("net.peer.name", Domain::kDb, Side::kCaller)->stable_key, "server.address");
  EXPECT_EQ(FindOldKey("net.peer.name", Domain::kHttp, Side::kCallee), nullptr);
  EXPECT_EQ(FindOldKey("net.host.name", Domain::kHttp, Side::kCallee)->stable_key,
            "server.address");
  EXPECT_EQ(FindOldKey("http.request.method", Domain::kHttp, Side::kAny), nullptr);
}

TEST(SemconvKeysTest, StableKeys) {
  EXPECT_TRUE(IsStableKey("http.request.method", Domain::kHttp));
  EXPECT_TRUE(IsStableKey("server.address", Domain::kDb));  // shared network key
  EXPECT_TRUE(IsStableKey("db.query.text", Domain::kDb));
  EXPECT_FALSE(IsStableKey("db.query.text", Domain::kHttp));
  EXPECT_FALSE(IsStableKey("http.route", Domain::kHttp));  // the same in both generations
  EXPECT_FALSE(IsStableKey("http.method", Domain::kHttp));
}

TEST(SemconvKeysTest, DomainOfPrefersTheMostSpecific) {
  Arena arena;
  EXPECT_EQ(DomainOf(Attrs(arena, {"http.method", "net.peer.name"})), Domain::kHttp);
  EXPECT_EQ(DomainOf(Attrs(arena, {"url.full"})), Domain::kHttp);
  EXPECT_EQ(DomainOf(Attrs(arena, {"http.url", "db.system"})), Domain::kDb);
  EXPECT_EQ(DomainOf(Attrs(arena, {"messaging.system", "rpc.system"})), Domain::kRpc);
  EXPECT_EQ(DomainOf(Attrs(arena, {"messaging.destination"})), Domain::kMessaging);
  EXPECT_EQ(DomainOf(Attrs(arena, {"payment.amount"})), std::nullopt);
}

TEST(SemconvKeysTest, EquivalentKeysBothWays) {
  auto has = [](const std::vector<std::string_view>& v, std::string_view k) {
    return std::find(v.begin(), v.end(), k) != v.end();
  };
  std::vector<std::string_view> status = EquivalentKeys("http.response.status_code");
  EXPECT_EQ(status, std::vector<std::string_view>{"http.status_code"});
  EXPECT_EQ(EquivalentKeys("http.status_code"),
            std::vector<std::string_view>{"http.response.status_code"});
  std::vector<std::string_view> address = EquivalentKeys("server.address");
  EXPECT_TRUE(has(address, "net.peer.name"));
  EXPECT_TRUE(has(address, "net.host.name"));
  EXPECT_FALSE(has(address, "http.host"));  // host:port is split, not equal
  std::vector<std::string_view> collection = EquivalentKeys("db.sql.table");
  EXPECT_TRUE(has(collection, "db.collection.name"));
  EXPECT_TRUE(has(collection, "db.mongodb.collection"));
  EXPECT_TRUE(has(EquivalentKeys("db.system.name"), "db.system"));
  EXPECT_TRUE(EquivalentKeys("payment.amount").empty());
  EXPECT_TRUE(EquivalentKeys("http.target").empty());  // split into path and query
}

std::string Str(const AnyValue& v) { return ValueToString(v); }

TEST(SemconvConvertTest, SplitsAndMapsValues) {
  Arena arena;
  auto convert = [&](std::string_view key, Domain d, SpanKind kind, AnyValue v) {
    const Rename* r = FindOldKey(key, d, SideOf(kind));
    EXPECT_NE(r, nullptr) << key;
    return r ? ConvertAttribute(*r, v, arena) : std::vector<KeyValue>{};
  };
  auto target = convert("http.target", Domain::kHttp, SpanKind::kServer,
                        AnyValue::String("/checkout?user=alice"));
  ASSERT_EQ(target.size(), 2u);
  EXPECT_EQ(target[0].key, "url.path");
  EXPECT_EQ(Str(target[0].value), "/checkout");
  EXPECT_EQ(target[1].key, "url.query");
  EXPECT_EQ(Str(target[1].value), "user=alice");

  auto host =
      convert("http.host", Domain::kHttp, SpanKind::kServer, AnyValue::String("localhost:8082"));
  ASSERT_EQ(host.size(), 2u);
  EXPECT_EQ(Str(host[0].value), "localhost");
  EXPECT_EQ(host[1].value.int_value, 8082);
  auto v6 = convert("http.host", Domain::kHttp, SpanKind::kServer, AnyValue::String("[::1]:80"));
  ASSERT_EQ(v6.size(), 2u);
  EXPECT_EQ(Str(v6[0].value), "::1");
  auto bare = convert("http.host", Domain::kHttp, SpanKind::kServer, AnyValue::String("::1"));
  ASSERT_EQ(bare.size(), 1u);  // an unbracketed IPv6 address has no port
  EXPECT_EQ(Str(bare[0].value), "::1");

  auto op = convert("messaging.operation", Domain::kMessaging, SpanKind::kProducer,
                    AnyValue::String("publish"));
  ASSERT_EQ(op.size(), 1u);
  EXPECT_EQ(op[0].key, "messaging.operation.type");
  EXPECT_EQ(Str(op[0].value), "send");
  auto partition = convert("messaging.kafka.partition", Domain::kMessaging, SpanKind::kConsumer,
                           AnyValue::Int(3));
  ASSERT_EQ(partition.size(), 1u);
  EXPECT_EQ(partition[0].value.type, ValueType::kString);
  EXPECT_EQ(Str(partition[0].value), "3");
  auto grpc = convert("rpc.grpc.status_code", Domain::kRpc, SpanKind::kClient, AnyValue::Int(5));
  ASSERT_EQ(grpc.size(), 1u);
  EXPECT_EQ(Str(grpc[0].value), "NOT_FOUND");
  EXPECT_TRUE(
      convert("rpc.grpc.status_code", Domain::kRpc, SpanKind::kClient, AnyValue::Int(99)).empty());
  auto system = convert("db.system", Domain::kDb, SpanKind::kClient, AnyValue::String("mssql"));
  EXPECT_EQ(Str(system[0].value), "microsoft.sql_server");
  // A value of the wrong type is not converted (the old key stays).
  EXPECT_TRUE(convert("http.target", Domain::kHttp, SpanKind::kServer, AnyValue::Int(1)).empty());
  EXPECT_TRUE(convert("db.user", Domain::kDb, SpanKind::kClient, AnyValue::String("u")).empty());
}

}  // namespace
}  // namespace polytrace::semconv
