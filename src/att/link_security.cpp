#include "src/att/link_security.hpp"

#include <asio/error.hpp>
#include <asio/post.hpp>

#include "protocol/sys_error.hpp"

namespace bcms::att {

SecurityLevel SocketLinkSecurity::level() const {
  auto s = l2cap::get_security(fd_);
  return s ? s->level : SecurityLevel::low;
}

std::uint8_t SocketLinkSecurity::key_size() const {
  auto s = l2cap::get_security(fd_);
  return s ? s->key_size : 0;
}

void SocketLinkSecurity::raise(l2cap::Socket& socket, SecurityLevel wanted, Done done) {
  if (std::error_code ec = l2cap::set_security(fd_, wanted)) {
    asio::post(socket.get_executor(), [ec, done = std::move(done)] { done(ec); });
    return;
  }
  // The kernel holds the channel in BT_CONFIG (not writable) until the
  // link is encrypted; writable again means the level changed.
  socket.async_wait(asio::socket_base::wait_write, [this, wanted, done = std::move(done)](std::error_code ec) {
    if (!ec && level() < wanted) ec = errno_code(EACCES);
    done(ec);
  });
}

void StaticLinkSecurity::raise(l2cap::Socket& socket, SecurityLevel wanted, Done done) {
  if (on_request) on_request();
  requests.push_back(wanted);
  switch (on_raise) {
    case OnRaise::grant:
      level_ = wanted;
      if (key_size_ == 0) key_size_ = 16;
      asio::post(socket.get_executor(), [done = std::move(done)] { done({}); });
      return;
    case OnRaise::refuse:
      asio::post(socket.get_executor(),
                 [done = std::move(done)] { done(errno_code(EACCES)); });
      return;
    case OnRaise::hold:
      held_ = std::move(done);
      return;
  }
}

void StaticLinkSecurity::complete(std::error_code ec) {
  if (!held_) return;
  auto done = std::move(held_);
  held_ = nullptr;
  if (!ec) {
    level_ = requests.empty() ? level_ : requests.back();
    if (key_size_ == 0) key_size_ = 16;
  }
  done(ec);
}

}  // namespace bcms::att
