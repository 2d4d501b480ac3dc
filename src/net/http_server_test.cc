#include "net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "testing/raw_http_client.h"

namespace polytrace {
namespace {

// The test speaks HTTP by hand to see exactly what the server sends.
class RawClient {
 public:
  explicit RawClient(uint16_t port) : client_(port) {}
  bool connected() const { return client_.connected(); }
  void Send(const std::string& data) { client_.Send(data); }
  // The whole response as text: status line, headers, body.
  std::string ReadResponse() {
    testing::RawResponse r = client_.Read();
    return r.status == 0 ? "" : r.headers + "\r\n" + r.body;
  }

 private:
  testing::RawHttpClient client_;
};

HttpServerOptions TestOptions() {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  o.max_request_body_size = 1024;
  return o;
}

HttpResponse Echo(HttpRequest& r) {
  return HttpResponse::Text(200, r.method + " " + r.path + " q=" + r.query + " body=" + r.body);
}

TEST(HttpServerTest, ServesKeepAliveRequestsOnOneConnection) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    c.Send("POST /v1/traces?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nhi");
    std::string res = c.ReadResponse();
    EXPECT_EQ(res.rfind("HTTP/1.1 200 OK", 0), 0u) << res;
    EXPECT_NE(res.find("POST /v1/traces q=x=1 body=hi"), std::string::npos) << res;
  }
}

TEST(HttpServerTest, OversizedContentLengthGets413WithoutSendingTheBody) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("POST /v1/traces HTTP/1.1\r\nHost: h\r\nContent-Length: 1000000\r\n\r\n");
  std::string res = c.ReadResponse();
  EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res;
  EXPECT_NE(res.find("exceeds the limit of 1024 bytes"), std::string::npos);
}

TEST(HttpServerTest, ChunkedBodyOverTheLimitGets413) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
         std::string(0x800, 'x') + "\r\n0\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 413", 0), 0u);
}

TEST(HttpServerTest, MalformedRequestGets400) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("THIS IS NOT HTTP\r\n\r\n");
  std::string res = c.ReadResponse();
  EXPECT_EQ(res.rfind("HTTP/1.1 400", 0), 0u) << res;
}

TEST(HttpServerTest, AnswersExpectContinue) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("POST /x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 100 Continue", 0), 0u);
  c.Send("abc");
  EXPECT_NE(c.ReadResponse().find("body=abc"), std::string::npos);
}

TEST(HttpServerTest, ManyConcurrentClients) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      RawClient c(server.port());
      for (int i = 0; i < 50; ++i) {
        c.Send("GET /ping HTTP/1.1\r\nHost: h\r\n\r\n");
        if (c.ReadResponse().find("GET /ping") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST(HttpServerTest, ShutdownLetsInFlightRequestsFinish) {
  std::promise<void> entered, release;
  auto release_future = release.get_future().share();
  HttpServer server(TestOptions(), [&](HttpRequest&) {
    entered.set_value();
    release_future.wait();
    return HttpResponse::Text(200, "finished");
  });
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("GET /slow HTTP/1.1\r\nHost: h\r\n\r\n");
  entered.get_future().wait();
  std::thread stopper([&] { server.Shutdown(); });
  release.set_value();
  std::string res = c.ReadResponse();
  stopper.join();
  EXPECT_NE(res.find("finished"), std::string::npos) << res;
}

TEST(HttpServerTest, BindErrorNamesTheEndpoint) {
  HttpServer first(TestOptions(), Echo);
  ASSERT_TRUE(first.Start().ok());
  HttpServerOptions o = TestOptions();
  o.endpoint = "127.0.0.1:" + std::to_string(first.port());
  o.name = "otlp/http";
  HttpServer second(o, Echo);
  Status st = second.Start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("otlp/http: listen 127.0.0.1:"), std::string::npos) << st.message();
  EXPECT_NE(st.message().find("in use"), std::string::npos) << st.message();
}

TEST(HttpServerTest, ParsesQueryParameters) {
  auto q = ParseQuery("service=api%20gw&tag=a%3Ab&empty&x=1+2");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].second, "api gw");
  EXPECT_EQ(q[1].second, "a:b");
  EXPECT_EQ(q[2].first, "empty");
  EXPECT_EQ(q[3].second, "1 2");
}

TEST(HttpServerTest, ShutdownWithoutStartIsSafe) {
  HttpServer server(TestOptions(), Echo);
  server.Shutdown();
  server.Shutdown();
}

}  // namespace
}  // namespace polytrace
