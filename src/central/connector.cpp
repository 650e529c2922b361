#include "src/central/connector.hpp"

#include <asio/post.hpp>

namespace bcms::central {
namespace {

// Owns the socket while it connects; the attempt handle closes it.
struct L2capAttempt final : Connector::Attempt {
  std::shared_ptr<l2cap::Socket> socket;
  ~L2capAttempt() override {
    std::error_code ignored;
    if (socket) socket->close(ignored);
  }
};

}  // namespace

std::unique_ptr<Connector::Attempt> L2capConnector::connect(const Peer& peer,
                                                            std::chrono::steady_clock::duration timeout, Done done) {
  auto attempt = std::make_unique<L2capAttempt>();
  // Bound to the ATT CID: the kernel makes it a fixed channel (bound
  // without one, connect() to CID 4 fails with EINVAL).
  auto sock = l2cap::open_bound(io_, l2cap::Endpoint{local_, local_type_, 0, l2cap::att_cid});
  if (!sock) {
    asio::post(io_, [done = std::move(done), ec = sock.error()] { done(unexpected(ec)); });
    return attempt;
  }
  attempt->socket = std::make_shared<l2cap::Socket>(std::move(*sock));
  l2cap::async_connect(*attempt->socket, l2cap::Endpoint{peer.addr, peer.type, 0, l2cap::att_cid}, timeout,
                       [s = attempt->socket, done = std::move(done)](std::error_code ec) {
                         if (ec) return done(unexpected(ec));
                         if (!s->is_open()) return done(unexpected(std::error_code(asio::error::operation_aborted)));
                         done(std::move(*s));
                       });
  return attempt;
}

}  // namespace bcms::central
