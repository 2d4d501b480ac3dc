// HTTP/1.1 requests as the server parses them: Beast's parser with the
// server's limits, then what the server and the APIs do with the parts
// (header names lower-cased, query parameters, the Host guard, endpoint
// splitting, percent-encoding).
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cstdint>
#include <string>

#include "net/http_server.h"

using namespace polytrace;
namespace http = boost::beast::http;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(1 << 20);
  parser.eager(true);
  boost::beast::error_code ec;
  size_t offset = 0;
  while (offset < size && !parser.is_done()) {
    size_t used = parser.put(boost::asio::buffer(data + offset, size - offset), ec);
    if (ec == http::error::need_more) break;
    if (ec) return 0;
    if (used == 0) break;
    offset += used;
  }
  if (!parser.is_header_done()) return 0;
  const auto& req = parser.get();
  std::string target(req.target());
  size_t q = target.find('?');
  ParseQuery(q == std::string::npos ? "" : std::string_view(target).substr(q + 1));
  // Header names as the server keeps them (lower-case, everything but
  // A-Z untouched, as HTTP/2 requires).
  for (const auto& field : req) {
    std::string_view name(field.name_string().data(), field.name_string().size());
    std::string lower = AsciiLower(name);
    if (lower.size() != name.size()) __builtin_trap();
    for (size_t i = 0; i < name.size(); ++i) {
      char c = name[i];
      char want = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
      if (lower[i] != want) __builtin_trap();
    }
  }
  std::string host(req[http::field::host]);
  HostAllowed(host, "127.0.0.1", {});
  HostAllowed(host, "0.0.0.0", {"polytrace.internal"});
  std::string h;
  uint16_t port;
  SplitHostPort(host, &h, &port);
  PercentEncode(target);
  return 0;
}
