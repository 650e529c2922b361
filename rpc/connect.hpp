// The client side of an endpoint (endpoint.hpp): a connected kj stream on
// the asio loop, for Cap'n Proto's TwoPartyClient.  Used by the bcms CLI,
// the engine tests and the benchmark.
#pragma once

#include <kj/async-io.h>

#include <system_error>

#include "protocol/expected.hpp"
#include "rpc/endpoint.hpp"

namespace bcms::rpc {

class AsioEventPort;

/// Resolves and connects (blocking: for programs that do nothing else
/// meanwhile).  ECONNREFUSED / ENOENT mean nobody listens there.
expected<kj::Own<kj::AsyncIoStream>> connect(AsioEventPort& port, const Endpoint& endpoint);

}  // namespace bcms::rpc
