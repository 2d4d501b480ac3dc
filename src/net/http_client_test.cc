#include "net/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>

#include "net/http_server.h"
#include "testing/silent_backend.h"

namespace polytrace {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

HttpClient PlainClient(const std::string& address) {
  Result<Url> url = Url::Parse("http://" + address + "/v1/traces");
  EXPECT_TRUE(url.ok());
  return HttpClient(*url);
}

// Plain HTTP goes out without the event loop (PollingStream): bodies larger
// than the socket buffers, answers and keep-alive reuse must all hold.
TEST(HttpClientTest, PlainPostsOfLargeBodiesAreAnsweredOnOneConnection) {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  o.max_request_body_size = 16 << 20;
  std::atomic<int> connections_seen{0};
  std::string last_remote;
  HttpServer server(o, [&](HttpRequest& r) {
    if (r.remote_address != last_remote) ++connections_seen, last_remote = r.remote_address;
    return HttpResponse::Text(200, std::to_string(r.body.size()) + ":" + r.body.substr(0, 3));
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client = PlainClient("127.0.0.1:" + std::to_string(server.port()));
  for (size_t size : {size_t{3}, size_t{8} << 20, size_t{100}}) {
    std::string body(size, 'b');
    body.replace(0, 3, "abc");
    Result<HttpClientResponse> r =
        client.Post({{"Content-Type", "text/plain"}}, body, milliseconds(10000));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->status, 200);
    EXPECT_EQ(r->body, std::to_string(size) + ":abc");
  }
  EXPECT_EQ(connections_seen.load(), 1);
}

TEST(HttpClientTest, PlainPostToAServerThatNeverAnswersEndsAtItsDeadline) {
  testing::SilentBackend backend;
  HttpClient client = PlainClient(backend.address());
  auto start = Clock::now();
  Result<HttpClientResponse> r = client.Post({}, "hello", milliseconds(300));
  auto took = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().message();
  EXPECT_GE(took, milliseconds(300));
  EXPECT_LT(took, milliseconds(5000));
}

TEST(HttpClientTest, CancelEndsAPlainPostInFlightAndEveryLaterOne) {
  testing::SilentBackend backend;
  HttpClient client = PlainClient(backend.address());
  auto start = Clock::now();
  auto pending =
      std::async(std::launch::async, [&] { return client.Post({}, "hello", milliseconds(30000)); });
  ASSERT_TRUE(backend.WaitForBytes(milliseconds(5000)));
  client.Cancel();
  ASSERT_EQ(pending.wait_for(milliseconds(5000)), std::future_status::ready)
      << "the 30 s attempt was not cut short";
  Result<HttpClientResponse> r = pending.get();
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  EXPECT_LT(Clock::now() - start, milliseconds(10000));
  EXPECT_FALSE(client.Post({}, "again", milliseconds(30000)).ok());
}

// An exporter reads a POST's answer when it next sends (BeginPost, then
// FinishPost much later): the answer is read even past the deadline it came
// before, and the connection is reused after it.
TEST(HttpClientTest, APostsAnswerIsReadLongAfterItCame) {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  std::atomic<int> handled{0}, connections_seen{0};
  std::string last_remote;
  HttpServer server(o, [&](HttpRequest& r) {
    if (r.remote_address != last_remote) ++connections_seen, last_remote = r.remote_address;
    ++handled;
    return HttpResponse::Text(200, "got " + r.body);
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client = PlainClient("127.0.0.1:" + std::to_string(server.port()));
  for (int i = 1; i <= 2; ++i) {
    std::string body = "request " + std::to_string(i);
    auto start = Clock::now();
    std::unique_ptr<HttpClient::Posted> posted = client.BeginPost({}, body, milliseconds(500));
    EXPECT_FALSE(posted->outcome_known());  // written, its answer not read
    while (handled.load() < i && Clock::now() < start + milliseconds(5000)) {
      std::this_thread::sleep_for(milliseconds(1));
    }
    ASSERT_EQ(handled.load(), i);
    std::this_thread::sleep_until(start + milliseconds(700));  // past the deadline
    Result<HttpClientResponse> r = client.FinishPost(std::move(posted));
    ASSERT_TRUE(r.ok()) << r.status().message();
    EXPECT_EQ(r->body, "got " + body);
  }
  EXPECT_EQ(connections_seen.load(), 1);
}

// A kept-alive connection the server closed while idle: the late-read POST
// goes again on a fresh connection, once.
TEST(HttpClientTest, ALatePostOnAConnectionTheServerClosedGoesAgainOnAFreshOne) {
  HttpServerOptions o;
  o.endpoint = "127.0.0.1:0";
  o.idle_timeout = milliseconds(50);
  std::atomic<int> handled{0};
  HttpServer server(o, [&](HttpRequest& r) {
    ++handled;
    return HttpResponse::Text(200, "got " + r.body);
  });
  ASSERT_TRUE(server.Start().ok());
  HttpClient client = PlainClient("127.0.0.1:" + std::to_string(server.port()));
  ASSERT_TRUE(client.FinishPost(client.BeginPost({}, "one", milliseconds(5000))).ok());
  std::this_thread::sleep_for(milliseconds(300));  // six idle timeouts: the server closed it
  Result<HttpClientResponse> r = client.FinishPost(client.BeginPost({}, "two", milliseconds(5000)));
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->body, "got two");
  EXPECT_EQ(handled.load(), 2);
}

// A request that could not be sent has its outcome at once: its sender
// need not wait to learn it failed.
TEST(HttpClientTest, APostThatCouldNotBeSentKnowsItsOutcomeAtOnce) {
  HttpClient client = PlainClient("127.0.0.1:1");
  std::unique_ptr<HttpClient::Posted> posted = client.BeginPost({}, "x", milliseconds(5000));
  EXPECT_TRUE(posted->outcome_known());
  Result<HttpClientResponse> r = client.FinishPost(std::move(posted));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
}

// The deadline holds for an answer that never comes, and Cancel ends the
// wait for one.
TEST(HttpClientTest, ALatePostsAnswerIsWaitedForUntilItsDeadlineOrCancel) {
  testing::SilentBackend backend;
  HttpClient client = PlainClient(backend.address());
  auto start = Clock::now();
  Result<HttpClientResponse> r =
      client.FinishPost(client.BeginPost({}, "hello", milliseconds(300)));
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().message();
  EXPECT_GE(Clock::now() - start, milliseconds(300));

  std::unique_ptr<HttpClient::Posted> posted = client.BeginPost({}, "again", milliseconds(30000));
  client.Cancel();
  start = Clock::now();
  r = client.FinishPost(std::move(posted));
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().message();
  EXPECT_LT(Clock::now() - start, milliseconds(5000));
}

}  // namespace
}  // namespace polytrace
