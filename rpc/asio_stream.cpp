#include "rpc/asio_stream.hpp"

#include <kj/debug.h>

#include <cstring>
#include <vector>

namespace bcms::rpc {

namespace {

kj::Exception socket_error(const char* what, const std::error_code& ec) {
  using Type = kj::Exception::Type;
  const bool gone = ec == asio::error::connection_reset || ec == asio::error::broken_pipe ||
                    ec == asio::error::eof || ec == asio::error::not_connected ||
                    ec == asio::error::bad_descriptor;
  return kj::Exception(gone ? Type::DISCONNECTED : Type::FAILED, __FILE__, __LINE__,
                       kj::str(what, ": ", ec.message().c_str()));
}

// A read or write in progress.  The adapter (owned by the kj promise) and
// the asio wait handlers share it; the adapter's destructor detaches it.
template <class Socket, class T>
struct Op {
  Socket* socket = nullptr;
  kj::PromiseFulfiller<T>* fulfiller = nullptr;
};

template <class Socket>
class ReadAdapter {
 public:
  ReadAdapter(kj::PromiseFulfiller<size_t>& f, Socket& socket, kj::byte* buffer, size_t min_bytes,
              size_t max_bytes)
      : op_(std::make_shared<Op<Socket, size_t>>(Op<Socket, size_t>{&socket, &f})), buffer_(buffer),
        min_(min_bytes), max_(max_bytes) {
    step(op_, *this);
  }
  ~ReadAdapter() { op_->fulfiller = nullptr; }

 private:
  using State = std::shared_ptr<Op<Socket, size_t>>;
  static void step(const State& op, ReadAdapter& self) {
    for (;;) {
      std::error_code ec;
      std::size_t n = op->socket->read_some(asio::buffer(self.buffer_ + self.done_, self.max_ - self.done_), ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) break;
      if (ec == asio::error::eof) return op->fulfiller->fulfill(size_t(self.done_));
      if (ec) return op->fulfiller->reject(socket_error("read", ec));
      self.done_ += n;
      if (self.done_ >= self.min_) return op->fulfiller->fulfill(size_t(self.done_));
    }
    op->socket->async_wait(Socket::wait_read, [op, &self](std::error_code ec) {
      if (op->fulfiller == nullptr) return;  // the promise was dropped: self is gone
      if (ec) return op->fulfiller->reject(socket_error("read", ec));
      step(op, self);
    });
  }

  State op_;
  kj::byte* buffer_;
  size_t min_, max_, done_ = 0;
};

template <class Socket>
class WriteAdapter {
 public:
  WriteAdapter(kj::PromiseFulfiller<void>& f, Socket& socket,
               kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces)
      : op_(std::make_shared<Op<Socket, void>>(Op<Socket, void>{&socket, &f})) {
    for (auto p : pieces)
      if (p.size() > 0) bufs_.emplace_back(p.begin(), p.size());
    step(op_, *this);
  }
  ~WriteAdapter() { op_->fulfiller = nullptr; }

 private:
  using State = std::shared_ptr<Op<Socket, void>>;
  static void step(const State& op, WriteAdapter& self) {
    while (self.first_ < self.bufs_.size()) {
      std::error_code ec;
      std::vector<asio::const_buffer> rest(self.bufs_.begin() + std::ptrdiff_t(self.first_), self.bufs_.end());
      std::size_t n = op->socket->write_some(rest, ec);
      if (ec == asio::error::would_block || ec == asio::error::try_again) {
        op->socket->async_wait(Socket::wait_write, [op, &self](std::error_code wec) {
          if (op->fulfiller == nullptr) return;
          if (wec) return op->fulfiller->reject(socket_error("write", wec));
          step(op, self);
        });
        return;
      }
      if (ec) return op->fulfiller->reject(socket_error("write", ec));
      while (n > 0) {  // drop what was written
        auto& b = self.bufs_[self.first_];
        if (n >= b.size()) {
          n -= b.size();
          ++self.first_;
        } else {
          b += n;
          n = 0;
        }
      }
    }
    op->fulfiller->fulfill();
  }

  State op_;
  std::vector<asio::const_buffer> bufs_;
  size_t first_ = 0;
};

}  // namespace

template <class Socket>
AsioStream<Socket>::AsioStream(Socket socket) : socket_(std::move(socket)) {
  socket_.non_blocking(true);
}

template <class Socket>
AsioStream<Socket>::~AsioStream() {
  std::error_code ignored;
  socket_.close(ignored);  // pending waits complete with operation_aborted and do nothing
}

template <class Socket>
kj::Promise<size_t> AsioStream<Socket>::tryRead(void* buffer, size_t min_bytes, size_t max_bytes) {
  if (max_bytes == 0) return size_t(0);
  return kj::newAdaptedPromise<size_t, ReadAdapter<Socket>>(socket_, static_cast<kj::byte*>(buffer),
                                                            min_bytes == 0 ? 1 : min_bytes, max_bytes);
}

template <class Socket>
kj::Promise<void> AsioStream<Socket>::write(const void* buffer, size_t size) {
  kj::ArrayPtr<const kj::byte> piece(static_cast<const kj::byte*>(buffer), size);
  return write(kj::arrayPtr(&piece, 1));
}

template <class Socket>
kj::Promise<void> AsioStream<Socket>::write(kj::ArrayPtr<const kj::ArrayPtr<const kj::byte>> pieces) {
  return kj::newAdaptedPromise<void, WriteAdapter<Socket>>(socket_, pieces);
}

template <class Socket>
kj::Promise<void> AsioStream<Socket>::whenWriteDisconnected() {
  // Not used by the two-party RPC network; a disconnect shows as a failed
  // read or write instead.
  return kj::NEVER_DONE;
}

template <class Socket>
void AsioStream<Socket>::shutdownWrite() {
  std::error_code ignored;
  socket_.shutdown(Socket::shutdown_send, ignored);
}

template <class Socket>
void AsioStream<Socket>::abortRead() {
  std::error_code ignored;
  socket_.shutdown(Socket::shutdown_receive, ignored);
}

template class AsioStream<asio::ip::tcp::socket>;
template class AsioStream<asio::local::stream_protocol::socket>;

}  // namespace bcms::rpc
