// A bcms CLI session: the asio loop with kj on it (rpc/asio_event_port.hpp),
// one connection to the daemon, the BCMS bootstrap capability, and waiting
// for a call's answer with a timeout.
#pragma once

#include <asio/io_context.hpp>
#include <capnp/rpc-twoparty.h>

#include <chrono>
#include <string>

#include "rpc/asio_event_port.hpp"
#include "rpc/bcms.capnp.h"
#include "rpc/endpoint.hpp"

namespace bcms::cli {

/// Exit codes (as bcms-mgmt's): 0 success; 1 the daemon refused (its error
/// printed); 2 bad usage (nothing sent); 3 the daemon is not reachable;
/// 4 no answer in time or the connection was lost.
enum Exit : int { ok = 0, refused = 1, usage = 2, no_daemon = 3, lost = 4 };

/// Thrown by Session for exits 3 and 4, with the message to print.
struct SessionError {
  Exit code;
  std::string message;
};

class Session {
 public:
  /// Connects; throws SessionError(no_daemon) when nobody listens.
  Session(const rpc::Endpoint& endpoint, std::chrono::milliseconds timeout);

  [[nodiscard]] BCMS::Client& bcms() { return bcms_; }
  [[nodiscard]] rpc::AsioEventPort& port() { return port_; }
  /// Resolves when the daemon closes the connection.
  kj::Promise<void> disconnected() { return client_->onDisconnect(); }

  /// Waits for `promise` (the call's answer) at most the timeout; throws
  /// SessionError(lost) on a timeout, a lost connection or an RPC exception.
  template <class T>
  T wait(kj::Promise<T>&& promise) {
    auto bounded = port_.timer().timeoutAfter(timeout_.count() * kj::MILLISECONDS, kj::mv(promise));
    try {
      return bounded.wait(port_.wait_scope());
    } catch (const kj::Exception& e) {
      throw lost_error(e);
    }
  }

 private:
  SessionError lost_error(const kj::Exception& e) const;

  asio::io_context io_;
  rpc::AsioEventPort port_;
  std::string where_;
  std::chrono::milliseconds timeout_;
  kj::Own<kj::AsyncIoStream> stream_;
  kj::Own<capnp::TwoPartyClient> client_;
  BCMS::Client bcms_;
};

}  // namespace bcms::cli
