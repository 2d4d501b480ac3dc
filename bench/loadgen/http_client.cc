#include "http_client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace polytrace::bench {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

struct HttpClient::Impl {
  boost::asio::io_context io;
  tcp::socket socket{io};
  std::string host, port;
  bool connected = false;
  beast::flat_buffer buffer;
};

HttpClient::HttpClient(const std::string& host_port) : impl_(std::make_unique<Impl>()) {
  size_t colon = host_port.rfind(':');
  impl_->host = host_port.substr(0, colon);
  impl_->port = host_port.substr(colon + 1);
}

HttpClient::~HttpClient() = default;

int HttpClient::Post(const std::string& path, const std::string& body) {
  try {
    if (!impl_->connected) {
      tcp::resolver resolver(impl_->io);
      boost::asio::connect(impl_->socket, resolver.resolve(impl_->host, impl_->port));
      impl_->connected = true;
    }
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::host, impl_->host);
    req.set(http::field::content_type, "application/x-protobuf");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    http::write(impl_->socket, req);
    http::response<http::string_body> res;
    http::read(impl_->socket, impl_->buffer, res);
    if (!res.keep_alive()) {
      impl_->socket.close();
      impl_->connected = false;
    }
    return res.result_int();
  } catch (const std::exception&) {
    boost::system::error_code ignored;
    impl_->socket.close(ignored);
    impl_->connected = false;
    return 0;
  }
}

}  // namespace polytrace::bench
