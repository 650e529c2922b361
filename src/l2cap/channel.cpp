#include "src/l2cap/channel.hpp"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "protocol/sys_error.hpp"

#include <algorithm>
#include <utility>

namespace bcms::l2cap {

expected<std::shared_ptr<Channel>> Channel::create(Socket socket, const Options& opts) {
  const int fd = socket.native_handle();
  auto mtu = [fd](std::optional<std::uint16_t> given, expected<std::uint16_t> (*get)(int)) {
    return given ? expected<std::uint16_t>(*given) : get(fd);
  };
  const auto smtu = mtu(opts.send_mtu, get_send_mtu);
  if (!smtu) return unexpected(smtu.error());
  const auto rmtu = mtu(opts.receive_mtu, get_receive_mtu);
  if (!rmtu) return unexpected(rmtu.error());
  if (*smtu == 0 || *rmtu == 0) return unexpected(std::make_error_code(std::errc::invalid_argument));
  return std::shared_ptr<Channel>(new Channel(std::move(socket), *smtu, *rmtu, opts.max_queued_bytes));
}

Channel::Channel(Socket socket, std::uint16_t send_mtu, std::uint16_t receive_mtu, std::size_t max_queued)
    : socket_(std::move(socket)), send_mtu_(send_mtu), receive_mtu_(receive_mtu), max_queued_(max_queued),
      rx_(receive_mtu) {}

Channel::~Channel() {
  std::error_code ignored;
  socket_.close(ignored);  // no callbacks from here: nothing is pending, or we would be alive
}

// ------------------------------------------------------------------ sending

std::error_code Channel::check(const bytes& sdu) {
  if (closed_ || closing_) return asio::error::not_connected;
  if (sdu.empty()) return errc::empty_sdu;
  if (sdu.size() > send_mtu_) {
    ++stats_.refused_too_long;
    return errc::sdu_too_long;
  }
  return {};
}

bool Channel::fits(std::size_t n) const noexcept {
  return queued_bytes_ == 0 || queued_bytes_ + n <= max_queued_;
}

std::error_code Channel::send(bytes sdu) {
  if (auto ec = check(sdu)) return ec;
  if (!waiting_.empty() || !fits(sdu.size())) {
    ++stats_.refused_full;
    return errc::queue_full;
  }
  enqueue(std::move(sdu), nullptr);
  return {};
}

void Channel::send_when_room(bytes sdu, Completion done) {
  if (auto ec = check(sdu)) {
    asio::post(socket_.get_executor(), [done = std::move(done), ec] {
      if (done) done(ec);
    });
    return;
  }
  if (waiting_.empty() && fits(sdu.size())) return enqueue(std::move(sdu), std::move(done));
  ++stats_.waited_for_room;
  waiting_.push_back(Outgoing{std::move(sdu), std::move(done)});
}

void Channel::on_drained(Completion done) {
  if (closed_ || (queued_bytes_ == 0 && waiting_.empty())) {
    const std::error_code ec = closed_ ? std::error_code(asio::error::not_connected) : std::error_code{};
    asio::post(socket_.get_executor(), [done = std::move(done), ec] {
      if (done) done(ec);
    });
    return;
  }
  drained_.push_back(std::move(done));
}

void Channel::enqueue(bytes sdu, Completion done) {
  queued_bytes_ += sdu.size();
  stats_.queued_high_water = std::max(stats_.queued_high_water, queued_bytes_);
  tx_.push_back(Outgoing{std::move(sdu), std::move(done)});
  send_next();
}

void Channel::admit_waiters() {
  while (!waiting_.empty() && fits(waiting_.front().sdu.size())) {
    Outgoing o = std::move(waiting_.front());
    waiting_.pop_front();
    queued_bytes_ += o.sdu.size();
    stats_.queued_high_water = std::max(stats_.queued_high_water, queued_bytes_);
    tx_.push_back(std::move(o));
  }
}

void Channel::send_next() {
  if (sending_ || closed_ || tx_.empty()) return;
  sending_ = true;
  // The in-flight SDU stays at tx_.front() until its send completes: the
  // kernel (or asio's retry when the socket was not writable) reads it.
  socket_.async_send(asio::buffer(tx_.front().sdu), 0, [self = shared_from_this()](std::error_code ec, std::size_t) {
    self->sending_ = false;
    if (self->closed_) return;
    if (ec) return self->end(ec);
    Outgoing sent = std::move(self->tx_.front());
    self->tx_.pop_front();
    ++self->stats_.sdus_out;
    self->stats_.bytes_out += sent.sdu.size();
    self->queued_bytes_ -= sent.sdu.size();
    self->admit_waiters();
    self->send_next();
    // User code last, with the state consistent (it may send or close).
    if (sent.done) sent.done({});
    if (!self->closed_ && self->queued_bytes_ == 0 && self->waiting_.empty() && !self->drained_.empty()) {
      auto drained = std::move(self->drained_);
      self->drained_.clear();
      for (auto& d : drained)
        if (d) d({});
    }
  });
}

// ---------------------------------------------------------------- receiving

void Channel::start(SduHandler on_sdu) {
  on_sdu_ = std::move(on_sdu);
  read_next();
}

void Channel::receive_one(SduHandler done) {
  std::error_code ec;
  if (closed_) ec = asio::error::not_connected;
  else if (on_sdu_ || pending_receive_) ec = errc::receive_pending;
  if (ec) {
    asio::post(socket_.get_executor(), [done = std::move(done), ec] {
      if (done) done(ec, {});
    });
    return;
  }
  pending_receive_ = std::move(done);
  read_next();
}

void Channel::read_next() {
  if (closed_ || reading_ || (!on_sdu_ && !pending_receive_)) return;
  reading_ = true;
  socket_.async_receive(asio::buffer(rx_), rx_flags_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
    self->reading_ = false;
    if (self->closed_) return;
    if (ec) return self->end(ec);
    if (n == 0) return self->end(asio::error::eof);  // SOCK_SEQPACKET: the peer closed
    ++self->stats_.sdus_in;
    self->stats_.bytes_in += n;
    std::error_code status;
    if (self->rx_flags_ & MSG_TRUNC) {
      ++self->stats_.truncated;
      status = errc::sdu_truncated;
    }
    const byte_span sdu(self->rx_.data(), n);
    if (self->pending_receive_) {
      auto done = std::move(self->pending_receive_);
      self->pending_receive_ = nullptr;
      done(status, sdu);
    } else if (self->on_sdu_) {
      auto handler = self->on_sdu_;  // a copy: the handler may replace itself
      handler(status, sdu);
    }
    self->read_next();
  });
}

// ---------------------------------------------------------------------- end

void Channel::close() { end(asio::error::operation_aborted); }

expected<std::size_t> Channel::kernel_unsent() const {
  const int fd = const_cast<Socket&>(socket_).native_handle();
  int domain = 0;
  socklen_t len = sizeof domain;
  if (::getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return unexpected(errno_code());
  int outq = 0;
  if (::ioctl(fd, SIOCOUTQ, &outq) != 0) return unexpected(errno_code());
  if (domain != AF_BLUETOOTH) return static_cast<std::size_t>(std::max(outq, 0));
  int sndbuf = 0;
  len = sizeof sndbuf;
  if (::getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, &len) != 0) return unexpected(errno_code());
  return static_cast<std::size_t>(std::max(sndbuf - outq, 0));
}

void Channel::close_when_sent(std::chrono::steady_clock::duration timeout, Completion done) {
  if (closed_) {
    asio::post(socket_.get_executor(), [done = std::move(done)] {
      if (done) done(asio::error::not_connected);
    });
    return;
  }
  closing_ = true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  on_drained([self = shared_from_this(), deadline, done = std::move(done)](std::error_code ec) mutable {
    if (ec) {
      if (done) done(ec);
      return;
    }
    self->poll_kernel_queue(deadline, std::move(done));
  });
}

void Channel::poll_kernel_queue(std::chrono::steady_clock::time_point deadline, Completion done) {
  if (closed_) {
    if (done) done(end_reason_ ? end_reason_ : std::error_code(asio::error::not_connected));
    return;
  }
  const auto unsent = kernel_unsent();
  if (!unsent || *unsent == 0) {
    close();
    if (done) done(unsent ? std::error_code{} : unsent.error());
    return;
  }
  if (std::chrono::steady_clock::now() >= deadline) {
    stats_.closed_unsent_bytes = *unsent;
    close();
    if (done) done(timeout_error());
    return;
  }
  if (!poll_) poll_ = std::make_unique<asio::steady_timer>(socket_.get_executor());
  poll_->expires_after(std::chrono::milliseconds(5));
  poll_->async_wait([self = shared_from_this(), deadline, done = std::move(done)](std::error_code) mutable {
    self->poll_kernel_queue(deadline, std::move(done));
  });
}

void Channel::end(std::error_code why) {
  if (closed_) return;
  closed_ = true;
  end_reason_ = why;
  auto keep = weak_from_this().lock();  // alive through the callbacks below
  std::error_code ignored;
  socket_.close(ignored);
  // Never call user code while iterating a live container.
  std::vector<Completion> sends;
  for (auto& o : tx_) sends.push_back(std::move(o.done));
  for (auto& o : waiting_) sends.push_back(std::move(o.done));
  waiting_.clear();
  // tx_ keeps its SDUs until the aborted send completes (the buffer of the
  // one in flight); nothing reads them afterwards.
  queued_bytes_ = 0;
  auto drained = std::move(drained_);
  drained_.clear();
  auto receive = std::move(pending_receive_);
  pending_receive_ = nullptr;
  on_sdu_ = nullptr;
  auto closed_cb = std::move(on_closed_);
  on_closed_ = nullptr;
  for (auto& d : sends)
    if (d) d(why);
  for (auto& d : drained)
    if (d) d(why);
  if (receive) receive(why, {});
  if (closed_cb) closed_cb(why);
}

}  // namespace bcms::l2cap
