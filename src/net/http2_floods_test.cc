// HTTP/2 floods a hostile client can send (CVE-2023-44487's rapid resets,
// CVE-2024-28182's endless CONTINUATION frames, PINGs while never reading
// the acknowledgements): the server cuts the connection within a bounded
// time, and serves other clients meanwhile. libnghttp2 does the counting
// (http2_session.h); these tests keep that promise checked against the
// library the build links.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "net/http_server.h"
#include "testing/h2_client.h"
#include "testing/raw_http_client.h"

namespace polytrace {
namespace {

HttpServerOptions FloodOptions() {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  o.http2 = true;
  return o;
}

HttpResponse Echo(HttpRequest& r) { return HttpResponse::Text(200, r.method + " " + r.path); }

std::string Frame(uint8_t type, uint8_t flags, uint32_t stream, const std::string& payload) {
  std::string f;
  for (int shift = 16; shift >= 0; shift -= 8)
    f.push_back(static_cast<char>(payload.size() >> shift));
  f.push_back(static_cast<char>(type));
  f.push_back(static_cast<char>(flags));
  for (int shift = 24; shift >= 0; shift -= 8) f.push_back(static_cast<char>(stream >> shift));
  return f + payload;
}

constexpr uint8_t kHeaders = 0x1, kRstStream = 0x3, kSettings = 0x4, kPing = 0x6,
                  kContinuation = 0x9;
constexpr uint8_t kEndStream = 0x1, kEndHeaders = 0x4;

std::string Preface() {
  return std::string("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") + Frame(kSettings, 0, 0, "");
}

// POST /v1/traces to 127.0.0.1 (HPACK: indexed :method POST and :scheme
// http, literal :path and :authority without indexing).
std::string RequestHead() {
  return std::string("\x83\x86", 2) + "\x04\x0a/v1/traces" + "\x01\x09" + "127.0.0.1";
}

// Whether the server still answers a well-behaved client.
bool ServesAnotherClient(const HttpServer& server) {
  testing::H2Client h2(server.port());
  testing::H2Request r;
  r.path = "/ok";
  std::vector<testing::H2Answer> a = h2.Exchange({r});
  return a[0].closed && a[0].body == "POST /ok";
}

TEST(Http2FloodTest, RapidResetsCloseTheConnectionAndOthersAreServed) {
  HttpServer server(FloodOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  // A few requests reset at once are fine (a client cancelling calls).
  testing::RawHttpClient polite(server.port());
  std::string few = Preface();
  for (uint32_t stream = 1; stream < 20; stream += 2) {
    few += Frame(kHeaders, kEndHeaders, stream, RequestHead());
    few += Frame(kRstStream, 0, stream, std::string("\0\0\0\x08", 4));  // CANCEL
  }
  polite.Send(few);
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(Preface());
  // 20,000 requests, each reset as soon as it is opened: concurrency stays
  // at one, so only a count of resets can stop it.
  uint32_t stream = 1;
  for (int round = 0; round < 200; ++round) {
    std::string burst;
    for (int i = 0; i < 100; ++i, stream += 2) {
      burst += Frame(kHeaders, kEndHeaders, stream, RequestHead());
      burst += Frame(kRstStream, 0, stream, std::string("\0\0\0\x08", 4));  // CANCEL
    }
    flood.Send(burst);
  }
  EXPECT_TRUE(flood.ClosedByServerWithin(5000));
  EXPECT_TRUE(ServesAnotherClient(server));
}

TEST(Http2FloodTest, EndlessContinuationFramesCloseTheConnection) {
  HttpServer server(FloodOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  // A header block in a few pieces is fine.
  testing::RawHttpClient polite(server.port());
  std::string pieces = Preface() + Frame(kHeaders, 0, 1, RequestHead());
  for (int i = 0; i < 3; ++i)
    pieces += Frame(kContinuation, 0, 1, std::string("\x00\x01x\x01y", 5));
  polite.Send(pieces + Frame(kContinuation, kEndHeaders, 1, std::string("\x00\x01z\x01y", 5)));
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(Preface() + Frame(kHeaders, 0, 1, RequestHead()));
  // A header block that never ends: small CONTINUATION frames, each a new
  // one-byte header (below the header list limit for a long while).
  std::string burst;
  for (int i = 0; i < 100; ++i)
    burst += Frame(kContinuation, 0, 1, std::string("\x00\x01x\x01y", 5));
  for (int round = 0; round < 1000; ++round) flood.Send(burst);
  EXPECT_TRUE(flood.ClosedByServerWithin(5000));
  EXPECT_TRUE(ServesAnotherClient(server));
}

TEST(Http2FloodTest, PingsFromAClientThatNeverReadsCloseTheConnection) {
  HttpServer server(FloodOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  // A few PINGs are answered and the connection stays.
  testing::RawHttpClient polite(server.port());
  std::string few = Preface();
  for (int i = 0; i < 10; ++i) few += Frame(kPing, 0, 0, std::string(8, '\x01'));
  polite.Send(few);
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(Preface());
  // The acknowledgements queue up on the server while the client does not
  // read them; the queue is bounded, so the connection is cut.
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += Frame(kPing, 0, 0, std::string(8, '\x01'));
  for (int round = 0; round < 200; ++round) flood.Send(burst);
  EXPECT_TRUE(flood.ClosedByServerWithin(5000));
  EXPECT_TRUE(ServesAnotherClient(server));
}

// A header block of 5 KB that decodes to 4 MB (one 4,000-byte header put in
// the HPACK table, then named by its index a thousand times): the stream is
// refused once its decoded headers pass the limit (64 KiB), never handled,
// and the connection and the server serve on.
TEST(Http2FloodTest, HpackBombIsRefusedAndTheConnectionServesOn) {
  std::atomic<int> handled{0};
  HttpServer server(FloodOptions(), [&handled](HttpRequest& r) {
    ++handled;
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  std::string block = RequestHead();
  block += std::string("\x40\x01x\x7f\xa1\x1e", 6) + std::string(4000, 'v');  // indexed as 62
  block += std::string(1000, '\xbe');
  testing::RawHttpClient bomb(server.port());
  bomb.Send(Preface() + Frame(kHeaders, kEndHeaders | kEndStream, 1, block));
  EXPECT_FALSE(bomb.ClosedByServerWithin(300));
  EXPECT_EQ(handled.load(), 0);
  EXPECT_TRUE(ServesAnotherClient(server));
  EXPECT_EQ(handled.load(), 1);
}

}  // namespace
}  // namespace polytrace
