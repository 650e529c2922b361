// The BCMS capabilities (rpc/bcms.capnp) on daemon::Service.
//
// Each method copies its parameters, co_spawns the service's coroutine on
// the asio loop and returns a kj promise that the coroutine's completion
// fulfils (both loops run on the one asio thread: asio_event_port.hpp).
// Results are filled in then.  Errors as the original reported them: the
// call succeeds with `status = false` and the error's text in `errors`
// (the original caught the exception and returned `False, [str(err)]`);
// an RPC exception means a bug or a lost connection.
// If the client goes away first, the kj promise is dropped and the
// service call still completes (a pairing is not cut in half).
#pragma once

#include <asio/io_context.hpp>

#include "rpc/bcms.capnp.h"

namespace bcms::daemon {
class Service;
}

namespace bcms::rpc {

/// The bootstrap capability.  `service` and `io` are borrowed.
BCMS::Client make_bcms(daemon::Service& service, asio::io_context& io);

/// What subscribe() does when a subscriber does not keep up: events beyond
/// this many unanswered calls are dropped (and counted) rather than queued
/// without bound.
inline constexpr unsigned max_events_in_flight = 256;

}  // namespace bcms::rpc
