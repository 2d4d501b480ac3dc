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
#include "testing/h2_frames.h"
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

using testing::H2Frame;
using testing::H2PostHead;
using testing::H2Preface;
using testing::kH2Continuation;
using testing::kH2EndHeaders;
using testing::kH2EndStream;
using testing::kH2Headers;
using testing::kH2Ping;
using testing::kH2RstStream;

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
  std::string few = H2Preface();
  for (uint32_t stream = 1; stream < 20; stream += 2) {
    few += H2Frame(kH2Headers, kH2EndHeaders, stream, H2PostHead());
    few += H2Frame(kH2RstStream, 0, stream, std::string("\0\0\0\x08", 4));  // CANCEL
  }
  polite.Send(few);
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(H2Preface());
  // 20,000 requests, each reset as soon as it is opened: concurrency stays
  // at one, so only a count of resets can stop it.
  uint32_t stream = 1;
  for (int round = 0; round < 200; ++round) {
    std::string burst;
    for (int i = 0; i < 100; ++i, stream += 2) {
      burst += H2Frame(kH2Headers, kH2EndHeaders, stream, H2PostHead());
      burst += H2Frame(kH2RstStream, 0, stream, std::string("\0\0\0\x08", 4));  // CANCEL
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
  std::string pieces = H2Preface() + H2Frame(kH2Headers, 0, 1, H2PostHead());
  for (int i = 0; i < 3; ++i)
    pieces += H2Frame(kH2Continuation, 0, 1, std::string("\x00\x01x\x01y", 5));
  polite.Send(pieces +
              H2Frame(kH2Continuation, kH2EndHeaders, 1, std::string("\x00\x01z\x01y", 5)));
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(H2Preface() + H2Frame(kH2Headers, 0, 1, H2PostHead()));
  // A header block that never ends: small CONTINUATION frames, each a new
  // one-byte header (below the header list limit for a long while).
  std::string burst;
  for (int i = 0; i < 100; ++i)
    burst += H2Frame(kH2Continuation, 0, 1, std::string("\x00\x01x\x01y", 5));
  for (int round = 0; round < 1000; ++round) flood.Send(burst);
  EXPECT_TRUE(flood.ClosedByServerWithin(5000));
  EXPECT_TRUE(ServesAnotherClient(server));
}

TEST(Http2FloodTest, PingsFromAClientThatNeverReadsCloseTheConnection) {
  HttpServer server(FloodOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  // A few PINGs are answered and the connection stays.
  testing::RawHttpClient polite(server.port());
  std::string few = H2Preface();
  for (int i = 0; i < 10; ++i) few += H2Frame(kH2Ping, 0, 0, std::string(8, '\x01'));
  polite.Send(few);
  EXPECT_FALSE(polite.ClosedByServerWithin(300));
  testing::RawHttpClient flood(server.port());
  flood.Send(H2Preface());
  // The acknowledgements queue up on the server while the client does not
  // read them; the queue is bounded, so the connection is cut.
  std::string burst;
  for (int i = 0; i < 1000; ++i) burst += H2Frame(kH2Ping, 0, 0, std::string(8, '\x01'));
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
  std::string block = H2PostHead();
  block += std::string("\x40\x01x\x7f\xa1\x1e", 6) + std::string(4000, 'v');  // indexed as 62
  block += std::string(1000, '\xbe');
  testing::RawHttpClient bomb(server.port());
  bomb.Send(H2Preface() + H2Frame(kH2Headers, kH2EndHeaders | kH2EndStream, 1, block));
  EXPECT_FALSE(bomb.ClosedByServerWithin(300));
  EXPECT_EQ(handled.load(), 0);
  EXPECT_TRUE(ServesAnotherClient(server));
  EXPECT_EQ(handled.load(), 1);
}

}  // namespace
}  // namespace polytrace
