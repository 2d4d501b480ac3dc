// PollingStream: Beast's synchronous stream (SyncReadStream and
// SyncWriteStream) over a connected socket, each wait bounded by a deadline
// and cut short when a cancel descriptor becomes readable.
//
// For a client thread that sends a request and waits for its answer, as an
// exporter's sending thread does: the request leaves in one sendmsg, the
// answer is awaited with one poll and read with one recv. Running an event
// loop per request (with a timer for the deadline) took nine system calls and
// a third of the exporter's CPU in Asio's machinery.
#pragma once

#include <sys/uio.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstddef>

namespace polytrace {

class PollingStream {
 public:
  // `cancel_fd`: readable once the request should stop (-1: none).
  // `answer_may_be_in`: reads try the socket before waiting (an answer read
  // long after its request was sent is usually there already).
  PollingStream(int fd, int cancel_fd, std::chrono::steady_clock::time_point deadline,
                bool answer_may_be_in = false)
      : fd_(fd), cancel_fd_(cancel_fd), deadline_(deadline), read_first_(answer_may_be_in) {}

  // Reads into the first non-empty buffer. Errors: beast::error::timeout at
  // the deadline, asio's operation_aborted when cancelled, eof when the peer
  // closed, or the system's.
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers, boost::beast::error_code& ec) {
    for (auto b : boost::beast::buffers_range_ref(buffers)) {
      if (b.size() > 0) return Read(b.data(), b.size(), ec);
    }
    ec = {};
    return 0;
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers, boost::beast::error_code& ec) {
    iovec pieces[kMaxPieces];
    size_t n = 0;
    for (auto b : boost::beast::buffers_range_ref(buffers)) {
      if (n == kMaxPieces) break;
      if (b.size() > 0) pieces[n++] = {const_cast<void*>(b.data()), b.size()};
    }
    return Write(pieces, n, ec);
  }
  // The throwing forms the stream concepts also ask for.
  template <class MutableBuffers>
  size_t read_some(const MutableBuffers& buffers) {
    boost::beast::error_code ec;
    return OrThrow(read_some(buffers, ec), ec);
  }
  template <class ConstBuffers>
  size_t write_some(const ConstBuffers& buffers) {
    boost::beast::error_code ec;
    return OrThrow(write_some(buffers, ec), ec);
  }

 private:
  static constexpr size_t kMaxPieces = 16;
  static size_t OrThrow(size_t n, const boost::beast::error_code& ec) {
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  // Until the socket is ready for `events`; false (and `ec` set) at the
  // deadline, on cancellation or when poll fails.
  bool Wait(short events, boost::beast::error_code& ec);
  size_t Read(void* data, size_t size, boost::beast::error_code& ec);
  size_t Write(const iovec* pieces, size_t n, boost::beast::error_code& ec);

  int fd_;
  int cancel_fd_;
  std::chrono::steady_clock::time_point deadline_;
  bool read_first_;
};

}  // namespace polytrace
