#include "src/att/bearer.hpp"

#include <sys/socket.h>

#include <asio/error.hpp>

namespace bcms::att {

std::shared_ptr<AttBearer> AttBearer::create(Socket socket, GattServer& server, ConnState state, Options opts) {
  return std::shared_ptr<AttBearer>(new AttBearer(std::move(socket), server, std::move(state), opts));
}

AttBearer::AttBearer(Socket socket, GattServer& server, ConnState state, Options opts)
    : socket_(std::move(socket)),
      server_(server),
      state_(std::move(state)),
      opts_(opts),
      request_timer_(socket_.get_executor()),
      indication_timer_(socket_.get_executor()) {}

AttBearer::~AttBearer() {
  if (!closed_) {
    closed_ = true;
    if (started_) server_.disconnect(state_);
    state_.alive.reset();
    std::error_code ignored;
    socket_.close(ignored);
    // Callbacks of queued indications are dropped with the bearer.
  }
}

void AttBearer::start() {
  if (started_ || closed_) return;
  started_ = true;
  server_.connect(state_);
  read_next();
}

void AttBearer::read_next() {
  if (closed_) return;
  socket_.async_receive(asio::buffer(rx_), rx_flags_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->end(ec);
    if (n == 0) return self->end(asio::error::eof);
    self->on_pdu(n);
    self->read_next();
  });
}

void AttBearer::on_pdu(std::size_t n) {
  ++stats_.pdus_in;
  if (rx_flags_ & MSG_TRUNC) {
    ++stats_.oversized;
    return;
  }
  const byte_span pdu(rx_.data(), n);
  const std::uint8_t op = pdu[0];
  if (op == static_cast<std::uint8_t>(Opcode::handle_value_cfm)) {
    if (!indicating_ || indications_.empty()) {
      ++stats_.unexpected_confirmations;
      return;
    }
    indication_timer_.cancel();
    Completion done = std::move(indications_.front().done);
    indications_.pop_front();
    indicating_ = false;
    next_indication();
    if (done) done({});
    return;
  }
  if (!GattServer::expects_response(op)) {
    server_.handle(pdu, state_, nullptr);
    return;
  }
  if (request_outstanding_) {
    ++stats_.requests_while_busy;  // 3.3.2: the client broke the sequence
    return;
  }
  request_outstanding_ = true;
  const std::uint64_t seq = ++request_seq_;
  arm(request_timer_);
  std::weak_ptr<AttBearer> weak = weak_from_this();
  server_.handle(pdu, state_, [weak, seq](bytes rsp) {
    auto self = weak.lock();
    if (!self || self->closed_ || seq != self->request_seq_ || !self->request_outstanding_) return;
    self->request_outstanding_ = false;
    self->request_timer_.cancel();
    self->enqueue(std::move(rsp));
  });
}

void AttBearer::arm(asio::steady_timer& t) {
  t.expires_after(opts_.transaction_timeout);
  t.async_wait([weak = weak_from_this()](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->end(asio::error::timed_out);  // 3.3.3
  });
}

std::error_code AttBearer::send_pdu(bytes pdu) {
  if (closed_) return asio::error::not_connected;
  enqueue(std::move(pdu));
  return {};
}

std::error_code AttBearer::send_notification(std::uint16_t handle, byte_span value) {
  if (closed_) return asio::error::not_connected;
  const std::size_t n = std::min<std::size_t>(value.size(), state_.mtu - 3u);
  bytes pdu;
  ByteWriter w(pdu);
  w.u8(static_cast<std::uint8_t>(Opcode::handle_value_ntf));
  w.u16(handle);
  w.raw(value.first(n));
  enqueue(std::move(pdu));
  return {};
}

void AttBearer::send_indication(std::uint16_t handle, bytes value, Completion done) {
  if (closed_) {
    if (done) done(asio::error::not_connected);
    return;
  }
  if (value.size() > state_.mtu - 3u) value.resize(state_.mtu - 3u);  // 3.4.7.2
  bytes pdu;
  ByteWriter w(pdu);
  w.u8(static_cast<std::uint8_t>(Opcode::handle_value_ind));
  w.u16(handle);
  w.raw(value);
  indications_.push_back({std::move(pdu), std::move(done)});
  next_indication();
}

void AttBearer::next_indication() {
  if (closed_ || indicating_ || indications_.empty()) return;
  indicating_ = true;
  arm(indication_timer_);
  enqueue(indications_.front().pdu);
}

void AttBearer::enqueue(bytes pdu) {
  if (closed_ || pdu.empty()) return;
  tx_.push_back(std::move(pdu));
  send_next();
}

void AttBearer::send_next() {
  if (sending_ || closed_ || tx_.empty()) return;
  sending_ = true;
  socket_.async_send(asio::buffer(tx_.front()), 0, [self = shared_from_this()](std::error_code ec, std::size_t) {
    self->sending_ = false;
    if (self->closed_) return;
    if (ec) return self->end(ec);
    ++self->stats_.pdus_out;
    self->tx_.pop_front();
    self->send_next();
  });
}

void AttBearer::close() { end(asio::error::operation_aborted); }

void AttBearer::end(std::error_code why) {
  if (closed_) return;
  closed_ = true;
  auto keep = weak_from_this().lock();  // stay alive through the callbacks below
  request_timer_.cancel();
  indication_timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
  tx_.clear();
  if (started_) server_.disconnect(state_);
  state_.alive.reset();  // pending handler continuations become no-ops
  // Never call user code while iterating a live container.
  auto pending = std::move(indications_);
  indications_.clear();
  const std::error_code fail = why == asio::error::timed_out ? why : std::error_code(asio::error::operation_aborted);
  for (auto& ind : pending)
    if (ind.done) ind.done(fail);
  if (auto cb = std::move(on_closed_)) cb(why);
}

}  // namespace bcms::att
