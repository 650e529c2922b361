// An asio stream socket (TCP or Unix) as a kj::AsyncIoStream, for Cap'n
// Proto's TwoPartyVatNetwork on the asio loop (rpc/asio_event_port.hpp).
//
// Reads and writes are non-blocking syscalls on the socket; when one would
// block, the operation waits for readiness with the socket's async_wait
// and tries again.  A kj promise that is dropped before it completes
// detaches from its pending wait (the wait's handler then does nothing),
// so no asio operation ever writes into a buffer kj has given back.
#pragma once

#include <asio/ip/tcp.hpp>
#include <asio/local/stream_protocol.hpp>
#include <kj/async-io.h>

#include <memory>

namespace bcms::rpc {

template <class Socket>
class AsioStream final : public kj::AsyncIoStream {
 public:
  using socket_type = Socket;
  explicit AsioStream(Socket socket);
  ~AsioStream();

  kj::Promise<size_t> tryRead(void* buffer, size_t min_bytes, size_t max_bytes) override;
  kj::Promise<void> write(const void* buffer, size_t size) override;
  kj::Promise<void> write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) override;
  kj::Promise<void> whenWriteDisconnected() override;
  void shutdownWrite() override;
  void abortRead() override;

  [[nodiscard]] Socket& socket() noexcept { return socket_; }

 private:
  Socket socket_;
};

using TcpStream = AsioStream<asio::ip::tcp::socket>;
using UnixStream = AsioStream<asio::local::stream_protocol::socket>;

extern template class AsioStream<asio::ip::tcp::socket>;
extern template class AsioStream<asio::local::stream_protocol::socket>;

}  // namespace bcms::rpc
