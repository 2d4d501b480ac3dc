#include "net/http_server.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <mutex>
#include <thread>

#include "testing/h2_client.h"
#include "testing/h2_frames.h"
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

TEST(HttpServerTest, AsciiLowerChangesOnlyAsciiCapitals) {
  EXPECT_EQ(AsciiLower("Content-Type"), "content-type");
  EXPECT_EQ(AsciiLower("X-AZ@[`az{"), "x-az@[`az{");      // the neighbours of A-Z stay
  EXPECT_EQ(AsciiLower("\xC3\x84\xFF"), "\xC3\x84\xFF");  // bytes above ASCII stay
  EXPECT_EQ(AsciiLower(""), "");
}

TEST(HttpServerTest, ServesKeepAliveRequestsOnOneConnection) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  ASSERT_TRUE(c.connected());
  for (int i = 0; i < 3; ++i) {
    c.Send("POST /v1/traces?x=1 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\r\nhi");
    std::string res = c.ReadResponse();
    EXPECT_EQ(res.rfind("HTTP/1.1 200 OK", 0), 0u) << res;
    EXPECT_NE(res.find("POST /v1/traces q=x=1 body=hi"), std::string::npos) << res;
  }
}

TEST(HttpServerTest, OversizedContentLengthGets413WithoutSendingTheBody) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("POST /v1/traces HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n");
  std::string res = c.ReadResponse();
  EXPECT_EQ(res.rfind("HTTP/1.1 413", 0), 0u) << res;
  EXPECT_NE(res.find("exceeds the limit of 1024 bytes"), std::string::npos);
}

TEST(HttpServerTest, ChunkedBodyOverTheLimitGets413) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient c(server.port());
  c.Send("POST / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n800\r\n" +
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
  c.Send(
      "POST /x HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n");
  EXPECT_EQ(c.ReadResponse().rfind("HTTP/1.1 100 Continue", 0), 0u);
  c.Send("abc");
  EXPECT_NE(c.ReadResponse().find("body=abc"), std::string::npos);
}

// Eight clients at once, 50 requests each on a kept-alive connection: all
// answered.
void ExpectEightClientsServed(const HttpServer& server) {
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      RawClient c(server.port());
      for (int i = 0; i < 50; ++i) {
        c.Send("GET /ping HTTP/1.1\r\nHost: localhost\r\n\r\n");
        if (c.ReadResponse().find("GET /ping") != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 400);
}

TEST(HttpServerTest, ManyConcurrentClients) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  ExpectEightClientsServed(server);
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
  c.Send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n");
  entered.get_future().wait();
  std::thread stopper([&] { server.Shutdown(); });
  release.set_value();
  std::string res = c.ReadResponse();
  stopper.join();
  EXPECT_NE(res.find("finished"), std::string::npos) << res;
}

// One loop thread running handlers inline, a standby for slow ones (the
// query API): while one request's handler holds the loop, other connections
// are answered, and once it is done, the loop's own thread answers again.
TEST(HttpServerTest, StandbyAnswersOthersWhileAHandlerHoldsTheLoop) {
  HttpServerOptions o = TestOptions();
  o.standby_thread = true;
  o.standby_after = std::chrono::milliseconds(2);
  std::promise<void> entered, release;
  auto release_future = release.get_future().share();
  HttpServer server(o, [&](HttpRequest& r) {
    if (r.path == "/slow") {
      entered.set_value();
      release_future.wait();
    }
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  RawClient slow(server.port());
  slow.Send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n");
  entered.get_future().wait();
  RawClient kept(server.port());  // one kept-alive connection, and new ones
  for (int i = 0; i < 20; ++i) {
    kept.Send("GET /kept HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_NE(kept.ReadResponse().find("GET /kept"), std::string::npos) << i;
    RawClient quick(server.port());
    quick.Send("GET /quick HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_NE(quick.ReadResponse().find("GET /quick"), std::string::npos) << i;
  }
  release.set_value();
  EXPECT_NE(slow.ReadResponse().find("GET /slow"), std::string::npos);
  // The loop's own thread is back: everything is answered as before (the
  // standby hands the loop back as it leaves).
  for (int i = 0; i < 20; ++i) {
    RawClient after(server.port());
    after.Send("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_NE(after.ReadResponse().find("GET /after"), std::string::npos) << i;
    kept.Send("GET /kept HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_NE(kept.ReadResponse().find("GET /kept"), std::string::npos) << i;
  }
}

// Chained standbys: with three, three handlers held at once (the loop's
// thread in one, each of the first two standbys in another) still leave
// the third standby answering; a fourth held handler would not be.
TEST(HttpServerTest, ChainedStandbysAnswerWhileSeveralHandlersHoldTheLoop) {
  HttpServerOptions o = TestOptions();
  o.standby_thread = true;
  o.standby_after = std::chrono::milliseconds(2);
  o.standbys = 3;
  std::atomic<int> held{0};
  std::promise<void> release;
  auto release_future = release.get_future().share();
  HttpServer server(o, [&](HttpRequest& r) {
    if (r.path == "/slow") {
      ++held;
      release_future.wait();
    }
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::unique_ptr<RawClient>> slow;
  for (int i = 0; i < 3; ++i) {
    slow.push_back(std::make_unique<RawClient>(server.port()));
    slow.back()->Send("GET /slow HTTP/1.1\r\nHost: localhost\r\n\r\n");
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (held.load() < i + 1 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    ASSERT_EQ(held.load(), i + 1) << "slow request " << i << " was not taken up";
  }
  for (int i = 0; i < 10; ++i) {
    RawClient quick(server.port());
    quick.Send("GET /quick HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_NE(quick.ReadResponse().find("GET /quick"), std::string::npos) << i;
  }
  release.set_value();
  for (auto& c : slow) EXPECT_NE(c->ReadResponse().find("GET /slow"), std::string::npos);
  RawClient after(server.port());
  after.Send("GET /after HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_NE(after.ReadResponse().find("GET /after"), std::string::npos);
}

// A handler held in turn on each connection while others ask: nothing
// waits longer than the slow handler itself.
TEST(HttpServerTest, StandbyKeepsAnsweringThroughSlowHandlers) {
  HttpServerOptions o = TestOptions();
  o.standby_thread = true;
  o.standby_after = std::chrono::milliseconds(1);
  HttpServer server(o, [](HttpRequest& r) {
    if (r.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(20));
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      RawClient c(server.port());
      for (int i = 0; i < 25; ++i) {
        std::string path = (i + t) % 5 == 0 ? "/slow" : "/quick";
        c.Send("GET " + path + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
        if (c.ReadResponse().find("GET " + path) != std::string::npos) ++ok;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
}

TEST(HttpServerTest, StandbyServesManyClientsAndIsForHttp1Only) {
  HttpServerOptions o = TestOptions();
  o.standby_thread = true;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  ExpectEightClientsServed(server);
  o.http2 = true;
  HttpServer h2(o, Echo);
  Status st = h2.Start();
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("standby_thread"), std::string::npos) << st.message();
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

// Issue #12: `/assets/app.js%00.html` served app.js as text/html.
TEST(HttpServerTest, NulInTheTargetGets400) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  for (const char* target : {"/assets/app.js%00.html", "/x?q=a%00b"}) {
    RawClient c(server.port());
    c.Send(std::string("GET ") + target + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    std::string res = c.ReadResponse();
    EXPECT_EQ(res.rfind("HTTP/1.1 400", 0), 0u) << target << "\n" << res;
    EXPECT_NE(res.find("NUL byte"), std::string::npos) << res;
  }
}

TEST(HttpServerTest, TransferEncodingsOtherThanChunkedAreRefused) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  auto send = [&](const std::string& te) {
    RawClient c(server.port());
    c.Send("POST /x HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: " + te +
           "\r\n\r\n3\r\nabc\r\n0\r\n\r\n");
    return c.ReadResponse();
  };
  EXPECT_EQ(send("gzip").rfind("HTTP/1.1 400", 0), 0u);
  EXPECT_EQ(send("chunked, gzip").rfind("HTTP/1.1 400", 0), 0u);
  std::string res = send("gzip, chunked");
  EXPECT_EQ(res.rfind("HTTP/1.1 501", 0), 0u) << res;
  EXPECT_NE(res.find("Transfer-Encoding \"gzip, chunked\" is not supported"), std::string::npos);
  EXPECT_NE(send("chunked").find("body=abc"), std::string::npos);
}

TEST(HttpServerTest, EveryResponseCarriesTheSecurityHeaders) {
  HttpServer server(TestOptions(), [](HttpRequest& r) {
    HttpResponse out = HttpResponse::Text(200, "ok");
    if (r.path == "/own") out.SetHeader("X-Frame-Options", "SAMEORIGIN");
    return out;
  });
  ASSERT_TRUE(server.Start().ok());
  for (const char* request : {"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
                              "GET /x%00 HTTP/1.1\r\nHost: localhost\r\n\r\n"}) {
    RawClient c(server.port());
    c.Send(request);
    std::string res = c.ReadResponse();
    EXPECT_NE(res.find("X-Content-Type-Options: nosniff"), std::string::npos) << res;
    EXPECT_NE(res.find("X-Frame-Options: DENY"), std::string::npos) << res;
    EXPECT_NE(res.find("Referrer-Policy: no-referrer"), std::string::npos) << res;
    EXPECT_NE(res.find("frame-ancestors 'none'"), std::string::npos) << res;
  }
  RawClient c(server.port());
  c.Send("GET /own HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string res = c.ReadResponse();
  EXPECT_NE(res.find("X-Frame-Options: SAMEORIGIN"), std::string::npos) << res;
  EXPECT_EQ(res.find("X-Frame-Options: DENY"), std::string::npos) << res;
}

// Issue #12: a page on evil.example whose name rebinds to 127.0.0.1 could
// read every trace from a loopback listener.
TEST(HttpServerTest, LoopbackListenerRefusesForeignHostNames) {
  HttpServer server(TestOptions(), Echo);
  ASSERT_TRUE(server.Start().ok());
  auto status_for = [&](const std::string& host) {
    RawClient c(server.port());
    c.Send("GET /api/traces HTTP/1.1\r\nHost: " + host + "\r\n\r\n");
    std::string res = c.ReadResponse();
    return res.substr(0, 12);
  };
  EXPECT_EQ(status_for("evil.example:16686"), "HTTP/1.1 403");
  EXPECT_EQ(status_for("localhost.evil.example"), "HTTP/1.1 403");
  EXPECT_EQ(status_for("localhost:16686"), "HTTP/1.1 200");
  EXPECT_EQ(status_for("app.localhost"), "HTTP/1.1 200");
  EXPECT_EQ(status_for("127.0.0.1:16686"), "HTTP/1.1 200");
  EXPECT_EQ(status_for("[::1]:16686"), "HTTP/1.1 200");
  EXPECT_EQ(status_for("10.1.2.3"), "HTTP/1.1 200");
}

TEST(HttpServerTest, HostRules) {
  EXPECT_FALSE(HostAllowed("evil.example", "127.0.0.1", {}));
  EXPECT_FALSE(HostAllowed("evil.example", "localhost", {}));
  EXPECT_TRUE(HostAllowed("polytrace.internal:16686", "127.0.0.1", {"polytrace.internal"}));
  EXPECT_TRUE(HostAllowed("POLYTRACE.internal.", "127.0.0.1", {"polytrace.internal"}));
  EXPECT_TRUE(HostAllowed("anything", "127.0.0.1", {"*"}));
  // Bound beyond loopback with no names configured: any name (compose, k8s).
  EXPECT_TRUE(HostAllowed("otel-collector:4318", "0.0.0.0", {}));
  EXPECT_FALSE(HostAllowed("evil.example", "0.0.0.0", {"polytrace.internal"}));
  EXPECT_TRUE(HostAllowed("", "127.0.0.1", {}));
  EXPECT_FALSE(HostAllowed("[::1", "127.0.0.1", {}));
}

// Issue #12: out of descriptors the accept loop spun at 80-90% of a core and
// new requests got no answer. It backs off, logs, keeps serving the open
// connections, and accepts again once descriptors are free.
TEST(HttpServerTest, AcceptBacksOffWhenOutOfDescriptorsAndRecovers) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizers' runtimes open descriptors themselves (UBSan's vptr check
  // probes memory through a pipe) and misreport once none is left.
  GTEST_SKIP() << "needs every descriptor taken, which the sanitizer runtime cannot bear";
#endif
  std::vector<std::string> logged;
  std::mutex log_mutex;
  HttpServerOptions o = TestOptions();
  o.log_error = [&](const std::string& m) {
    std::lock_guard lock(log_mutex);
    logged.push_back(m);
  };
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  RawClient open_before(server.port());
  open_before.Send("GET /a HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ASSERT_NE(open_before.ReadResponse().find("GET /a"), std::string::npos);

  rlimit saved{};
  ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &saved), 0);
  std::vector<int> hogs;  // take every descriptor left under a low limit
  rlimit low = saved;
  low.rlim_cur = 256;
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &low), 0);
  for (int fd; (fd = dup(0)) >= 0;) hogs.push_back(fd);
  ASSERT_FALSE(hogs.empty());
  close(hogs.back());  // room for one client socket; none for the server to accept it
  hogs.pop_back();
  RawClient waiting(server.port());  // queued by the kernel, not yet accepted
  ASSERT_TRUE(waiting.connected());
  waiting.Send("GET /b HTTP/1.1\r\nHost: localhost\r\n\r\n");

  timespec cpu_before{}, cpu_after{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_before);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  for (;;) {
    {
      std::lock_guard lock(log_mutex);
      if (!logged.empty()) break;
    }
    ASSERT_LT(std::chrono::steady_clock::now(), deadline) << "no accept error was logged";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu_after);
  double cpu_seconds = double(cpu_after.tv_sec - cpu_before.tv_sec) +
                       double(cpu_after.tv_nsec - cpu_before.tv_nsec) / 1e9;
  // The open connection is still served.
  open_before.Send("GET /c HTTP/1.1\r\nHost: localhost\r\n\r\n");
  std::string served = open_before.ReadResponse();

  for (int fd : hogs) close(fd);
  ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &saved), 0);
  EXPECT_NE(served.find("GET /c"), std::string::npos) << served;
  // A spinning loop burns the whole wait (~0.5 s and more); backing off, little.
  EXPECT_LT(cpu_seconds, 0.25) << "CPU while out of descriptors";
  {
    std::lock_guard lock(log_mutex);
    EXPECT_NE(logged.front().find("accept on 127.0.0.1:0 failed"), std::string::npos)
        << logged.front();
    EXPECT_LE(logged.size(), 2u);  // once a second, not once per attempt
  }
  // Descriptors free again: the queued connection is accepted and answered.
  EXPECT_NE(waiting.ReadResponse().find("GET /b"), std::string::npos);
}

// HTTP/1.1's deadlines move with each phase of a connection: waiting for a
// request (idle_timeout; read_timeout for the first), reading it
// (read_timeout), writing the answer.
TEST(HttpServerTest, Http1IdleKeepAliveConnectionsAreClosedAfterTheIdleTimeout) {
  HttpServerOptions o = TestOptions();
  o.idle_timeout = std::chrono::milliseconds(300);
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  EXPECT_EQ(c.Post("/x", "text/plain", "1").body, "POST /x q= body=1");
  EXPECT_FALSE(c.ClosedByServerWithin(100));  // still open well before the timeout
  EXPECT_TRUE(c.ClosedByServerWithin(3000));
}

TEST(HttpServerTest, Http1RequestStalledMidHeadOrBodyIsCutAfterTheReadTimeout) {
  HttpServerOptions o = TestOptions();
  o.read_timeout = std::chrono::milliseconds(300);  // the idle timeout stays at 120 s
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient body(server.port());
  ASSERT_EQ(body.Post("/a", "text/plain", "1").status, 200);  // a keep-alive connection
  body.Send("POST /b HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100\r\n\r\n0123456789");
  EXPECT_FALSE(body.ClosedByServerWithin(100));
  EXPECT_TRUE(body.ClosedByServerWithin(3000));
  testing::RawHttpClient head(server.port());  // a first request's head never finished
  head.Send("POST /c HTTP/1.1\r\nHost: local");
  EXPECT_TRUE(head.ClosedByServerWithin(3000));
}

// Before its first request a connection says nothing, or only part of the
// HTTP/2 preface: closed after the read timeout, with or without HTTP/2.
TEST(HttpServerTest, AConnectionThatNeverAsksIsClosedAfterTheReadTimeout) {
  for (bool http2 : {true, false}) {
    HttpServerOptions o = TestOptions();
    o.http2 = http2;
    o.read_timeout = std::chrono::milliseconds(300);
    HttpServer server(o, Echo);
    ASSERT_TRUE(server.Start().ok());
    testing::RawHttpClient silent(server.port());
    testing::RawHttpClient preface(server.port());
    preface.Send("PRI * HTTP/2.0\r\n");
    EXPECT_FALSE(silent.ClosedByServerWithin(100)) << http2;
    EXPECT_TRUE(silent.ClosedByServerWithin(3000)) << http2;
    EXPECT_TRUE(preface.ClosedByServerWithin(3000)) << http2;
    testing::RawHttpClient asks(server.port());
    EXPECT_EQ(asks.Post("/x", "text/plain", "1").body, "POST /x q= body=1") << http2;
  }
}

TEST(HttpServerTest, Http1ConnectionThatKeepsAskingOutlivesItsTimeouts) {
  HttpServerOptions o = TestOptions();
  o.read_timeout = std::chrono::milliseconds(300);
  o.idle_timeout = std::chrono::milliseconds(300);
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  int answered = 0, asked = 0;
  while (std::chrono::steady_clock::now() < end) {
    ++asked;
    if (c.Post("/k", "text/plain", std::to_string(asked)).body ==
        "POST /k q= body=" + std::to_string(asked)) {
      ++answered;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_GE(asked, 5);
  EXPECT_EQ(answered, asked);
  EXPECT_TRUE(c.ClosedByServerWithin(3000));  // then idle: closed
}

TEST(HttpServerTest, ShutdownWithoutStartIsSafe) {
  HttpServer server(TestOptions(), Echo);
  server.Shutdown();
  server.Shutdown();
}

// --- HTTP/2 (prior knowledge), as gRPC clients speak it ---

HttpServerOptions Http2Options() {
  HttpServerOptions o = TestOptions();
  o.http2 = true;
  return o;
}

testing::H2Request Post(std::string path, std::string body) {
  testing::H2Request r;
  r.path = std::move(path);
  r.body = std::move(body);
  return r;
}

TEST(HttpServerTest, Http2AndHttp1AreServedOnOnePort) {
  HttpServer server(Http2Options(), Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  ASSERT_TRUE(h2.connected());
  std::vector<testing::H2Request> requests;
  for (int i = 0; i < 20; ++i)
    requests.push_back(Post("/p" + std::to_string(i), "b" + std::to_string(i)));
  std::vector<testing::H2Answer> answers = h2.Exchange(requests);
  for (int i = 0; i < 20; ++i) {
    const testing::H2Answer& a = answers[i];
    ASSERT_TRUE(a.closed) << i;
    EXPECT_EQ(a.headers.at(":status"), "200");
    EXPECT_EQ(a.body, "POST /p" + std::to_string(i) + " q= body=b" + std::to_string(i));
    EXPECT_EQ(a.headers.at("content-length"), std::to_string(a.body.size()));
    EXPECT_EQ(a.headers.at("x-content-type-options"), "nosniff");
  }
  RawClient h1(server.port());
  h1.Send("GET /h1 HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_NE(h1.ReadResponse().find("GET /h1 q= body="), std::string::npos);
}

TEST(HttpServerTest, Http2SendsTrailersAfterTheBody) {
  HttpServer server(Http2Options(), [](HttpRequest&) {
    HttpResponse r = HttpResponse::WithBody(200, "application/grpc", "xyz");
    r.trailers.emplace_back("grpc-status", "0");
    return r;
  });
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  std::vector<testing::H2Answer> a = h2.Exchange({Post("/t", "")});
  ASSERT_TRUE(a[0].closed);
  EXPECT_EQ(a[0].body, "xyz");
  EXPECT_EQ(a[0].trailers.at("grpc-status"), "0");
}

TEST(HttpServerTest, Http2BodyOverTheLimitGets413AndTheConnectionServesOn) {
  std::atomic<int> handled{0};
  HttpServer server(Http2Options(), [&](HttpRequest& r) {
    ++handled;
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  std::vector<testing::H2Answer> a =
      h2.Exchange({Post("/big", std::string(5000, 'x')), Post("/small", "ok")});
  ASSERT_TRUE(a[0].closed && a[1].closed);
  EXPECT_EQ(a[0].headers.at(":status"), "413");
  EXPECT_NE(a[0].body.find("exceeds the limit of 1024 bytes"), std::string::npos);
  EXPECT_EQ(a[1].body, "POST /small q= body=ok");
  EXPECT_EQ(handled.load(), 1);
}

TEST(HttpServerTest, Http2BodiesAreAdmittedBeforeTheyAreBuffered) {
  AdmissionGate gate;
  gate.SetLimit(2000);
  gate.SetUsage(1500);  // 500 bytes to spare: not enough for the announced 1,000
  HttpServerOptions o = Http2Options();
  o.admission = &gate;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  testing::H2Request announced = Post("/a", std::string(1000, 'x'));
  announced.headers.emplace_back("content-length", "1000");
  std::vector<testing::H2Answer> a = h2.Exchange({announced});
  ASSERT_TRUE(a[0].closed);
  EXPECT_EQ(a[0].headers.at(":status"), "429");
  EXPECT_EQ(a[0].headers.at("retry-after"), "1");
  gate.SetUsage(0);
  a = h2.Exchange({Post("/b", "fits")});
  ASSERT_TRUE(a[0].closed);
  EXPECT_EQ(a[0].headers.at(":status"), "200");
  EXPECT_EQ(gate.in_flight(), 0u);  // released with the answer
}

TEST(HttpServerTest, Http2IdleConnectionsAreClosedAfterTheIdleTimeout) {
  HttpServerOptions o = Http2Options();
  o.idle_timeout = std::chrono::milliseconds(300);
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  ASSERT_EQ(h2.Exchange({Post("/x", "1")})[0].body, "POST /x q= body=1");
  EXPECT_FALSE(h2.ClosedByServerWithin(100));  // still open well before the timeout
  EXPECT_TRUE(h2.ClosedByServerWithin(3000));
}

// How long PINGs sent one at a time waited for their answer: the longest of
// up to three, stopping at one held `enough` (why three: the quiet-wait test
// below). Zero when one went unanswered (a failure is recorded).
std::chrono::milliseconds LongestPingHold(testing::H2Client& h2, std::chrono::milliseconds enough) {
  std::chrono::milliseconds held{0};
  for (int ping = 0; ping < 3 && held < enough; ++ping) {
    std::optional<std::chrono::milliseconds> answered = h2.PingAnsweredWithin(5000);
    EXPECT_TRUE(answered.has_value()) << "PING " << ping;
    if (!answered) return std::chrono::milliseconds(0);
    held = std::max(held, *answered);
  }
  return held;
}

// While no request is open (after the first answer), input below the low
// watermark (a client's PING) waits for more or for quiet_input_wait; then
// it is read and answered.
TEST(HttpServerTest, Http2SmallInputAfterAnAnswerIsReadWithinTheQuietWait) {
  HttpServerOptions o = Http2Options();
  // Above a PING (17 bytes) and what the client's library may send with it
  // (a SETTINGS acknowledgement, WINDOW_UPDATEs: 9 + 13 + 13).
  o.quiet_input_bytes = 64;
  o.quiet_input_wait = std::chrono::milliseconds(1000);
  o.max_request_body_size = 2 << 20;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  ASSERT_EQ(h2.Exchange({Post("/x", "1")})[0].body, "POST /x q= body=1");
  // A PING is 17 bytes: held by the mark, then answered once it is lowered
  // (the mark is raised again after each answer). One CI run saw a first
  // PING answered at once, which no local run reproduced. A likely cause:
  // with two threads on one loop, one can collect the socket's readiness
  // (the client's SETTINGS acknowledgement, arriving before the mark was
  // raised) while the other runs the connection, and complete its next wait
  // with it once the PING is in. So the hold is the longest of up to three
  // PINGs; without the mark, all three are answered at once.
  EXPECT_GE(LongestPingHold(h2, std::chrono::milliseconds(900)).count(), 900);
  // Requests go on, each read as it comes (these two are above the mark).
  std::string two(40, '2'), three(40, '3');
  auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(h2.Exchange({Post("/y", two), Post("/z", three)})[1].body, "POST /z q= body=" + three);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(700));
  // Bodies larger than a read, several at once, are read whole (what the
  // socket still holds after a full read is read before writing).
  std::vector<testing::H2Request> big;
  for (int i = 0; i < 4; ++i) big.push_back(Post("/big", std::string(300'000 + i, 'b')));
  std::vector<testing::H2Answer> answers = h2.Exchange(big);
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(answers[i].closed) << i;
    EXPECT_EQ(answers[i].body.size(), std::string("POST /big q= body=").size() + 300'000 + i);
  }
  // A request after an answer is read when it comes, not after the wait.
  start = std::chrono::steady_clock::now();
  EXPECT_EQ(h2.Exchange({Post("/w", std::string(100, 'w'))})[0].closed, true);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(700));
}

// The mark stays raised through reads that complete their requests, and is
// lowered while a request is still arriving: its last part, however small,
// is read when it comes.
TEST(HttpServerTest, Http2SmallLastPartOfARequestIsReadWhenItComes) {
  HttpServerOptions o = Http2Options();
  o.quiet_input_bytes = 64;
  o.quiet_input_wait = std::chrono::milliseconds(1500);
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  ASSERT_EQ(h2.Exchange({Post("/x", "1")})[0].body, "POST /x q= body=1");
  ASSERT_EQ(h2.Exchange({Post("/y", std::string(100, 'y'))})[0].closed, true);
  // 295 of 300 bytes, then, a moment later, the last 5 in a 14-byte frame.
  testing::H2Request split = Post("/s", std::string(295, 's'));
  split.headers.emplace_back("content-length", "300");
  split.end = false;
  ASSERT_FALSE(h2.Exchange({split}, 200)[0].closed);
  auto start = std::chrono::steady_clock::now();
  testing::H2Answer a = h2.Finish(0, "sssss")[0];
  EXPECT_TRUE(a.closed);
  EXPECT_EQ(a.body, "POST /s q= body=" + std::string(300, 's'));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
  // Raised again once it is answered: a PING alone waits.
  EXPECT_GE(LongestPingHold(h2, std::chrono::milliseconds(1000)).count(), 1000);
}

// A read that ends inside a frame lowers the mark too, with no request
// open: the frame's small rest is read when it comes, not after the wait.
TEST(HttpServerTest, Http2FrameCutByAReadIsReadWhenItsRestComes) {
  using namespace testing;
  HttpServerOptions o = Http2Options();
  o.quiet_input_bytes = 64;
  o.quiet_input_wait = std::chrono::milliseconds(2000);
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  RawHttpClient c(server.port());
  c.Send(H2Preface() + H2Frame(kH2Headers, kH2EndHeaders | kH2EndStream, 1, H2PostHead()));
  ASSERT_TRUE(c.ReceivesWithin("POST /v1/traces", 5000));  // answered: the mark is raised
  // Above the mark: two PINGs, a request, and 4 bytes of a third PING.
  std::string last = H2Frame(kH2Ping, 0, 0, "last-one");
  c.Send(H2Frame(kH2Ping, 0, 0, "ping-one") + H2Frame(kH2Ping, 0, 0, "ping-two") +
         H2Frame(kH2Headers, kH2EndHeaders | kH2EndStream, 3, H2PostHead()) + last.substr(0, 4));
  // Acknowledged: that read was handled (the request's answer comes too).
  ASSERT_TRUE(c.ReceivesWithin(H2Frame(kH2Ping, kH2Ack, 0, "ping-two"), 5000));
  // The rest of the third PING: 13 bytes, below the mark.
  auto start = std::chrono::steady_clock::now();
  c.Send(last.substr(4));
  ASSERT_TRUE(c.ReceivesWithin(H2Frame(kH2Ping, kH2Ack, 0, "last-one"), 5000));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::milliseconds(1000));
}

TEST(HttpServerTest, Http2RequestStalledMidBodyIsCutAfterTheReadTimeout) {
  HttpServerOptions o = Http2Options();
  o.read_timeout = std::chrono::milliseconds(300);  // the idle timeout stays at 120 s
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  testing::H2Request stalled = Post("/s", "12345");
  stalled.headers.emplace_back("content-length", "900");  // 5 of 900 bytes, then nothing
  stalled.end = false;
  std::vector<testing::H2Answer> a = h2.Exchange({stalled});
  EXPECT_FALSE(a[0].closed);
  EXPECT_TRUE(h2.ClosedByServerWithin(3000));
}

// Several connections at once, each with several streams, on the server's
// threads, each with its own event loop as the receivers run them (run under
// ThreadSanitizer in CI).
TEST(HttpServerTest, Http2ConnectionsInParallelGetTheirOwnAnswers) {
  HttpServerOptions o = Http2Options();
  o.threads = 4;
  o.event_loop_per_thread = true;
  HttpServer server(o, Echo);
  ASSERT_TRUE(server.Start().ok());
  std::vector<std::thread> clients;
  std::atomic<int> right{0};
  for (int c = 0; c < 4; ++c) {
    clients.emplace_back([&, c] {
      testing::H2Client h2(server.port());
      for (int round = 0; round < 5; ++round) {
        std::vector<testing::H2Request> requests;
        for (int i = 0; i < 10; ++i) {
          requests.push_back(Post("/c" + std::to_string(c), std::to_string(round * 10 + i)));
        }
        std::vector<testing::H2Answer> answers = h2.Exchange(requests);
        for (int i = 0; i < 10; ++i) {
          if (answers[i].body ==
              "POST /c" + std::to_string(c) + " q= body=" + std::to_string(round * 10 + i)) {
            ++right;
          }
        }
      }
    });
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(right.load(), 4 * 5 * 10);
  server.Shutdown();
}

// Plain HTTP/2 connections read into one buffer per thread: bodies larger
// than it (several reads each), from connections served at once by the
// threads of one loop and by a loop per thread, each come back whole and
// as their own.
TEST(HttpServerTest, Http2BigBodiesFromConnectionsAtOnceStayApart) {
  for (bool loop_per_thread : {false, true}) {
    HttpServerOptions o = Http2Options();
    o.threads = 3;
    o.event_loop_per_thread = loop_per_thread;
    o.max_request_body_size = 2 << 20;
    HttpServer server(o, [](HttpRequest& r) {
      return HttpResponse::Text(200, std::to_string(std::hash<std::string>{}(r.body)));
    });
    ASSERT_TRUE(server.Start().ok());
    std::vector<std::thread> clients;
    std::atomic<int> right{0};
    for (int c = 0; c < 3; ++c) {
      clients.emplace_back([&, c] {
        testing::H2Client h2(server.port());
        for (int round = 0; round < 3; ++round) {
          std::vector<testing::H2Request> requests;
          std::vector<std::string> sent;
          for (int i = 0; i < 2; ++i) {
            std::string body((700 << 10) + 4099 * i, '\0');
            for (size_t k = 0; k < body.size(); ++k) body[k] = char('a' + (k * 7 + c + round) % 26);
            sent.push_back(body);
            requests.push_back(Post("/big", std::move(body)));
          }
          std::vector<testing::H2Answer> answers = h2.Exchange(requests);
          for (int i = 0; i < 2; ++i) {
            if (answers[i].closed &&
                answers[i].body == std::to_string(std::hash<std::string>{}(sent[i]))) {
              ++right;
            }
          }
        }
      });
    }
    for (auto& t : clients) t.join();
    EXPECT_EQ(right.load(), 3 * 3 * 2) << "loop per thread: " << loop_per_thread;
    server.Shutdown();
  }
}

// A streamed answer: `pieces` pieces of `piece_bytes` each ('a', 'b', ...),
// counting the producer's calls and whether it is still alive.
struct Pieces {
  std::atomic<int> calls{0};
  std::atomic<bool> alive{false};
};
HttpResponse StreamPieces(std::shared_ptr<Pieces> p, int pieces, size_t piece_bytes,
                          bool fail_after_first = false) {
  struct Guard {
    std::shared_ptr<Pieces> p;
    explicit Guard(std::shared_ptr<Pieces> q) : p(std::move(q)) { p->alive = true; }
    ~Guard() { p->alive = false; }
  };
  auto guard = std::make_shared<Guard>(p);
  return HttpResponse::Streamed(200, "text/plain",
                                [guard, pieces, piece_bytes, fail_after_first](std::string* out) {
                                  int n = guard->p->calls.fetch_add(1);
                                  if (fail_after_first && n == 1) return BodyStep::kFailed;
                                  out->append(piece_bytes, static_cast<char>('a' + n % 26));
                                  return n + 1 < pieces ? BodyStep::kMore : BodyStep::kDone;
                                });
}

std::string ExpectedPieces(int pieces, size_t piece_bytes) {
  std::string body;
  for (int n = 0; n < pieces; ++n) body.append(piece_bytes, static_cast<char>('a' + n % 26));
  return body;
}

// Waits up to `ms` for `done`.
template <typename Fn>
bool Within(int ms, Fn done) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// How many pieces the producer made once it stopped being asked (200 ms
// without a call, within 10 s; -1 if it never stopped).
int PiecesSettled(const Pieces& pieces) {
  int settled = -1;
  Within(10'000, [&] {
    int now = pieces.calls.load();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    if (pieces.calls.load() != now) return false;
    settled = now;
    return true;
  });
  return settled;
}

TEST(HttpServerTest, StreamedAnswerComesInChunksAndTheConnectionServesOn) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(TestOptions(), [&](HttpRequest& r) {
    return r.path == "/big" ? StreamPieces(pieces, 5, 100'000) : Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  c.Send("GET /big HTTP/1.1\r\nHost: localhost\r\n\r\n");
  testing::RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Transfer-Encoding"), "chunked");
  EXPECT_EQ(r.Header("Content-Length"), "");
  EXPECT_EQ(r.Header("X-Content-Type-Options"), "nosniff");
  EXPECT_TRUE(r.complete_chunks);
  EXPECT_EQ(r.chunks, 5u);
  EXPECT_TRUE(r.body == ExpectedPieces(5, 100'000)) << r.body.size();
  EXPECT_TRUE(Within(3000, [&] { return !pieces->alive; }));
  c.Send("GET /next HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(c.Read().body, "GET /next q= body=");
}

// The producer runs only as fast as the client reads, and a client that
// goes away ends it: the rest of the answer is never made.
TEST(HttpServerTest, StreamedAnswerWaitsForItsReaderAndStopsWhenItLeaves) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(TestOptions(), [&](HttpRequest&) {
    return StreamPieces(pieces, 1'000'000, 1 << 20);  // a terabyte, if it ran ahead
  });
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  c.Send("GET /huge HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ASSERT_EQ(c.Read(/*head_only=*/true).status, 200);
  // The client reads nothing more: the socket buffers fill and the
  // producer is not asked again.
  int settled = PiecesSettled(*pieces);
  ASSERT_GE(settled, 0) << "the producer never stopped being asked";
  EXPECT_LT(settled, 64) << "pieces made for a client that reads none";
  EXPECT_TRUE(pieces->alive);
  c.Close();
  EXPECT_TRUE(Within(5000, [&] { return !pieces->alive.load(); }))
      << "the producer outlived its client";
  EXPECT_LE(pieces->calls.load(), settled + 1);
}

TEST(HttpServerTest, StreamedAnswerThatFailsIsCutShort) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(TestOptions(), [&](HttpRequest&) {
    return StreamPieces(pieces, 5, 1000, /*fail_after_first=*/true);
  });
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  c.Send("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  testing::RawResponse r = c.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_FALSE(r.complete_chunks) << "a failed answer must not look complete";
  EXPECT_EQ(r.body, ExpectedPieces(1, 1000));
}

TEST(HttpServerTest, StreamedAnswerToHeadAndToHttp10) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(TestOptions(), [&](HttpRequest&) { return StreamPieces(pieces, 3, 10); });
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  c.Send("HEAD / HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(c.Read(/*head_only=*/true).status, 200);
  EXPECT_EQ(pieces->calls.load(), 0);
  EXPECT_TRUE(Within(3000, [&] { return !pieces->alive; }));
  // HTTP/1.0: no chunks, no length: the pieces as they are, then the close.
  testing::RawHttpClient old(server.port());
  old.Send("GET / HTTP/1.0\r\nHost: localhost\r\n\r\n");
  testing::RawResponse r = old.Read();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("Content-Length"), "");
  EXPECT_EQ(r.Header("Transfer-Encoding"), "");
  EXPECT_EQ(r.body, ExpectedPieces(3, 10));
}

// An HTTP/1.0 client is paced as an HTTP/1.1 one: its answer is not made
// whole first (a million-span trace took 1.1 GB that way).
TEST(HttpServerTest, StreamedAnswerToHttp10WaitsForItsReader) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(TestOptions(), [&](HttpRequest&) {
    return StreamPieces(pieces, 2'000, 1 << 20);  // 2 GB, if it ran ahead
  });
  ASSERT_TRUE(server.Start().ok());
  testing::RawHttpClient c(server.port());
  c.Send("GET /huge HTTP/1.0\r\nHost: localhost\r\n\r\n");
  ASSERT_EQ(c.Read(/*head_only=*/true).status, 200);
  int settled = PiecesSettled(*pieces);
  ASSERT_GE(settled, 0) << "the producer never stopped being asked";
  EXPECT_LT(settled, 64) << "pieces made for a client that reads none";
  c.Close();
  EXPECT_TRUE(Within(5000, [&] { return !pieces->alive.load(); }));
}

TEST(HttpServerTest, Http2GetsAStreamedAnswerWhole) {
  auto pieces = std::make_shared<Pieces>();
  HttpServer server(Http2Options(), [&](HttpRequest&) { return StreamPieces(pieces, 4, 5000); });
  ASSERT_TRUE(server.Start().ok());
  testing::H2Client h2(server.port());
  std::vector<testing::H2Answer> a = h2.Exchange({Post("/s", "")});
  ASSERT_TRUE(a[0].closed);
  EXPECT_EQ(a[0].headers.at("content-length"), "20000");
  EXPECT_TRUE(a[0].body == ExpectedPieces(4, 5000));
}

// A handler with long work can tell that its client went away (and stop).
TEST(HttpServerTest, HandlerSeesItsClientGo) {
  std::atomic<int> seen_gone{-1};  // -1: not yet asked
  std::atomic<bool> waiting{false};
  HttpServer server(TestOptions(), [&](HttpRequest& r) {
    if (r.path == "/stay") {
      seen_gone = r.ClientGone() ? 1 : 0;
      return Echo(r);
    }
    waiting = true;
    bool gone = Within(5000, [&] { return r.ClientGone(); });
    seen_gone = gone ? 1 : 0;
    return Echo(r);
  });
  ASSERT_TRUE(server.Start().ok());
  {
    testing::RawHttpClient c(server.port());
    c.Send("GET /stay HTTP/1.1\r\nHost: localhost\r\n\r\n");
    EXPECT_EQ(c.Read().status, 200);
    EXPECT_EQ(seen_gone.load(), 0) << "a client still connected is not gone";
  }
  seen_gone = -1;
  testing::RawHttpClient c(server.port());
  c.Send("GET /long HTTP/1.1\r\nHost: localhost\r\n\r\n");
  ASSERT_TRUE(Within(5000, [&] { return waiting.load(); }));
  c.Close();
  ASSERT_TRUE(Within(8000, [&] { return seen_gone.load() != -1; }));
  EXPECT_EQ(seen_gone.load(), 1);
}

}  // namespace
}  // namespace polytrace
