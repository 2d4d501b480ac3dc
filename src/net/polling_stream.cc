#include "net/polling_stream.h"

#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/error.hpp>
#include <cerrno>

namespace polytrace {

namespace {

boost::beast::error_code SystemError(int error) {
  return boost::beast::error_code(error, boost::system::system_category());
}

}  // namespace

bool PollingStream::Wait(short events, boost::beast::error_code& ec) {
  while (true) {
    auto left = deadline_ - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) {
      ec = boost::beast::error::timeout;
      return false;
    }
    // Rounded up: a wait of 0 ms would spin until the deadline.
    auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
    pollfd fds[2] = {{fd_, events, 0}, {cancel_fd_, POLLIN, 0}};  // a negative fd is ignored
    int rc = ::poll(fds, 2, static_cast<int>(std::min<int64_t>(ms, 1 << 30)));
    if (rc < 0) {
      if (errno == EINTR) continue;
      ec = SystemError(errno);
      return false;
    }
    if (fds[1].revents != 0) {
      ec = boost::asio::error::operation_aborted;
      return false;
    }
    // Errors and hang-ups too: the read or write that follows reports them.
    if (fds[0].revents != 0) return true;
  }
}

size_t PollingStream::Read(void* data, size_t size, boost::beast::error_code& ec) {
  // An answer just asked for is awaited first: reading before it came would
  // only fail. One asked for long ago is read first, even past the deadline.
  for (bool ready = read_first_ || Wait(POLLIN, ec); ready; ready = Wait(POLLIN, ec)) {
    ssize_t n = ::recv(fd_, data, size, MSG_DONTWAIT);
    if (n > 0) {
      ec = {};
      return static_cast<size_t>(n);
    }
    if (n == 0) {
      ec = boost::asio::error::eof;
      return 0;
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ec = SystemError(errno);
      return 0;
    }
  }
  return 0;
}

size_t PollingStream::Write(const iovec* pieces, size_t n, boost::beast::error_code& ec) {
  msghdr message{};
  message.msg_iov = const_cast<iovec*>(pieces);
  message.msg_iovlen = n;
  while (true) {
    // Tried first: a socket is almost always ready to take a request.
    ssize_t sent = ::sendmsg(fd_, &message, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent >= 0) {
      ec = {};
      return static_cast<size_t>(sent);
    }
    if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
      ec = SystemError(errno);
      return 0;
    }
    if (!Wait(POLLOUT, ec)) return 0;
  }
}

}  // namespace polytrace
