#include "src/l2cap/socket.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <asio/steady_timer.hpp>
#include <memory>

#include "protocol/sys_error.hpp"

namespace bcms::l2cap {
namespace {

struct bt_security_opt {
  std::uint8_t level;
  std::uint8_t key_size;
};

template <class T>
expected<T> get_opt(int fd, int name) {
  T v{};
  socklen_t len = sizeof(v);
  if (::getsockopt(fd, sol_bluetooth, name, &v, &len) != 0) return unexpected(errno_code());
  return v;
}

template <class T>
std::error_code set_opt(int fd, int name, const T& v) {
  if (::setsockopt(fd, sol_bluetooth, name, &v, sizeof(v)) != 0) return errno_code();
  return {};
}

expected<Endpoint> name_of(int fd, int (*fn)(int, sockaddr*, socklen_t*)) {
  sockaddr_storage ss{};
  socklen_t len = sizeof(ss);
  if (fn(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return unexpected(errno_code());
  Endpoint e;
  if (!decode_sockaddr(&ss, len, e)) return unexpected(errno_code(EAFNOSUPPORT));
  return e;
}

}  // namespace

expected<Socket> open_bound(asio::io_context& io, const Endpoint& local) {
  const int fd = ::socket(af_bluetooth, SOCK_SEQPACKET | SOCK_CLOEXEC, btproto_l2cap);
  if (fd < 0) return unexpected(errno_code());
  const SockaddrL2 sa = encode_sockaddr(local);
  if (::bind(fd, reinterpret_cast<const sockaddr*>(sa.data()), sa.size()) != 0) {
    const std::error_code ec = errno_code();
    ::close(fd);
    return unexpected(ec);
  }
  Socket s(io);
  std::error_code ec;
  s.assign(Protocol(af_bluetooth, btproto_l2cap), fd, ec);
  if (ec) {
    ::close(fd);
    return unexpected(ec);
  }
  return s;
}

void async_connect(Socket& socket, const Endpoint& remote, std::chrono::steady_clock::duration timeout,
                   std::function<void(std::error_code)> done) {
  const SockaddrL2 sa = encode_sockaddr(remote);
  const Protocol::endpoint ep(sa.data(), sa.size(), btproto_l2cap);
  struct State {
    asio::steady_timer timer;
    std::function<void(std::error_code)> done;
    bool timed_out = false;
  };
  auto st = std::make_shared<State>(State{asio::steady_timer(socket.get_executor()), std::move(done)});
  st->timer.expires_after(timeout);
  st->timer.async_wait([st, &socket](std::error_code ec) {
    if (ec) return;  // cancelled: the connect completed first
    st->timed_out = true;
    std::error_code ignored;
    socket.close(ignored);  // aborts the attempt; the kernel cancels the LE connection
  });
  socket.async_connect(ep, [st](std::error_code ec) {
    st->timer.cancel();
    if (st->timed_out) ec = timeout_error();
    if (auto d = std::move(st->done)) d(ec);
  });
}

expected<Endpoint> peer_of(int fd) { return name_of(fd, ::getpeername); }
expected<Endpoint> local_of(int fd) { return name_of(fd, ::getsockname); }

expected<Security> get_security(int fd) {
  auto s = get_opt<bt_security_opt>(fd, bt_security);
  if (!s) return unexpected(s.error());
  Security out;
  out.level = static_cast<SecurityLevel>(s->level > 4 ? 4 : s->level);
  out.key_size = out.level >= SecurityLevel::medium ? s->key_size : 0;
  return out;
}

std::error_code set_security(int fd, SecurityLevel level) {
  return set_opt(fd, bt_security, bt_security_opt{static_cast<std::uint8_t>(level), 0});
}

expected<std::uint16_t> get_send_mtu(int fd) { return get_opt<std::uint16_t>(fd, bt_sndmtu); }
expected<std::uint16_t> get_receive_mtu(int fd) { return get_opt<std::uint16_t>(fd, bt_rcvmtu); }
std::error_code set_receive_mtu(int fd, std::uint16_t mtu) { return set_opt(fd, bt_rcvmtu, mtu); }
std::error_code set_mode(int fd, Mode mode) { return set_opt(fd, bt_mode, static_cast<std::uint8_t>(mode)); }
expected<Mode> get_mode(int fd) {
  auto m = get_opt<std::uint8_t>(fd, bt_mode);
  if (!m) return unexpected(m.error());
  return static_cast<Mode>(*m);
}

}  // namespace bcms::l2cap
