#include "src/att/bearer.hpp"

#include <sys/socket.h>

#include <asio/error.hpp>
#include <spdlog/spdlog.h>

#include "protocol/att/att_error.hpp"
#include "protocol/att/pdu.hpp"
#include "protocol/sys_error.hpp"

namespace bcms::att {
namespace {

constexpr auto error_rsp = static_cast<std::uint8_t>(Opcode::error_rsp);

PduKind kind_of(std::uint8_t op) {
  if (const OpcodeInfo* info = find_opcode(op)) return info->kind;
  // Unknown opcodes: commands when the Command Flag is set, else requests
  // (answered with Request Not Supported, 3.4.9).
  return (op & command_flag) ? PduKind::command : PduKind::request;
}

}  // namespace

std::shared_ptr<AttBearer> AttBearer::create(Socket socket, ConnState state, Options opts) {
  return std::shared_ptr<AttBearer>(new AttBearer(std::move(socket), std::move(state), opts));
}

std::shared_ptr<AttBearer> AttBearer::create(Socket socket, ServerRole& server, ConnState state, Options opts) {
  auto b = create(std::move(socket), std::move(state), opts);
  b->set_server(&server);
  return b;
}

AttBearer::AttBearer(Socket socket, ConnState state, Options opts)
    : socket_(std::move(socket)),
      state_(std::move(state)),
      opts_(opts),
      request_timer_(socket_.get_executor()),
      response_timer_(socket_.get_executor()),
      indication_timer_(socket_.get_executor()),
      security_timer_(socket_.get_executor()) {}

AttBearer::~AttBearer() {
  if (!closed_) {
    closed_ = true;
    if (started_ && server_) server_->disconnect(state_);
    state_.alive.reset();
    std::error_code ignored;
    socket_.close(ignored);
    // Callbacks of anything pending are dropped with the bearer.
  }
}

void AttBearer::start() {
  if (started_ || closed_) return;
  started_ = true;
  if (server_) server_->connect(state_);
  read_next();
}

void AttBearer::read_next() {
  if (closed_) return;
  socket_.async_receive(asio::buffer(rx_), rx_flags_, [self = shared_from_this()](std::error_code ec, std::size_t n) {
    if (self->closed_) return;
    if (ec) return self->end(ec);
    if (n == 0) return self->end(asio::error::eof);
    self->on_pdu(byte_span(self->rx_.data(), n));
    self->read_next();
  });
}

void AttBearer::on_pdu(byte_span pdu) {
  ++stats_.pdus_in;
  if (rx_flags_ & MSG_TRUNC) ++stats_.oversized;  // handed on: longer than any ATT_MTU
  const std::uint8_t op = pdu[0];
  switch (kind_of(op)) {
    case PduKind::request:
      return on_peer_request(pdu);
    case PduKind::command:
      if (server_) return server_->handle(pdu, state_, nullptr);
      ++stats_.unhandled;
      return;
    case PduKind::response:
      return on_response(pdu);
    case PduKind::notification:
      if (client_ && pdu.size() >= 3) return client_->on_notification(static_cast<std::uint16_t>(pdu[1] | (pdu[2] << 8)), pdu.subspan(3));
      ++stats_.unhandled;
      return;
    case PduKind::indication:
      return on_indication(pdu);
    case PduKind::confirmation:
      return on_confirmation();
  }
}

void AttBearer::on_peer_request(byte_span pdu) {
  const std::uint8_t op = pdu[0];
  if (request_outstanding_) {
    ++stats_.requests_while_busy;  // 3.3.2: the client broke the sequence
    return;
  }
  if (!server_) {
    // 3.4.9 / 3.4.1.1: no server here, so no request is supported.
    const std::uint8_t handle_lo = pdu.size() >= 3 ? pdu[1] : 0, handle_hi = pdu.size() >= 3 ? pdu[2] : 0;
    enqueue({{error_rsp, op, handle_lo, handle_hi, static_cast<std::uint8_t>(att_errc::request_not_supported)}});
    return;
  }
  request_outstanding_ = true;
  const std::uint64_t seq = ++request_seq_;
  arm(request_timer_, opts_.transaction_timeout, timeout_error());
  std::weak_ptr<AttBearer> weak = weak_from_this();
  server_->handle(pdu, state_, [weak, seq, op](Response rsp) {
    auto self = weak.lock();
    if (!self || self->closed_ || seq != self->request_seq_ || !self->request_outstanding_) return;
    self->request_outstanding_ = false;
    self->request_timer_.cancel();
    self->answer(op, std::move(rsp));
  });
}

void AttBearer::answer(std::uint8_t op, Response rsp) {
  if (rsp.pdu.empty()) {
    // Never leave the client waiting 30 s for an answer that will not come.
    ++stats_.internal_errors;
    spdlog::error("att: internal error answering opcode 0x{:02x}: answered Unlikely Error", op);
    rsp.pdu = {error_rsp, op, 0x00, 0x00, static_cast<std::uint8_t>(att_errc::unlikely_error)};
    rsp.raise_to = SecurityLevel::low;
  }
  enqueue({std::move(rsp.pdu), opts_.raise_security ? rsp.raise_to : SecurityLevel::low});
}

void AttBearer::on_response(byte_span pdu) {
  if (!awaiting_ || own_requests_.empty()) {
    ++stats_.unexpected_responses;
    return;
  }
  const std::uint8_t req = own_requests_.front().pdu[0];
  // Every response opcode is its request's + 1 (3.4.x); an Error Response
  // names the request it answers.
  const bool matches = pdu[0] == error_rsp ? (pdu.size() >= 2 && pdu[1] == req) : pdu[0] == req + 1;
  if (!matches) {
    ++stats_.unexpected_responses;
    return;
  }
  response_timer_.cancel();
  ResponseHandler done = std::move(own_requests_.front().done);
  own_requests_.pop_front();
  awaiting_ = false;
  auto keep = shared_from_this();
  if (done) done({}, pdu);
  next_request();
}

void AttBearer::on_indication(byte_span pdu) {
  if (client_ && pdu.size() >= 3) client_->on_indication(static_cast<std::uint16_t>(pdu[1] | (pdu[2] << 8)), pdu.subspan(3));
  else ++stats_.unhandled;
  // 3.4.7.3: every indication is confirmed, so the server is not stalled.
  enqueue({{static_cast<std::uint8_t>(Opcode::handle_value_cfm)}});
}

void AttBearer::on_confirmation() {
  if (!indicating_ || indications_.empty()) {
    ++stats_.unexpected_confirmations;
    return;
  }
  indication_timer_.cancel();
  Completion done = std::move(indications_.front().done);
  indications_.pop_front();
  indicating_ = false;
  auto keep = shared_from_this();
  next_indication();
  if (done) done({});
}

void AttBearer::arm(asio::steady_timer& t, std::chrono::steady_clock::duration d, std::error_code why) {
  t.expires_after(d);
  t.async_wait([weak = weak_from_this(), why](std::error_code ec) {
    if (ec == asio::error::operation_aborted) return;
    if (auto self = weak.lock()) self->end(why);
  });
}

std::error_code AttBearer::send_pdu(bytes pdu) {
  if (closed_) return asio::error::not_connected;
  enqueue({std::move(pdu)});
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
  enqueue({std::move(pdu)});
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
  arm(indication_timer_, opts_.transaction_timeout, timeout_error());
  enqueue({indications_.front().pdu});
}

void AttBearer::request(bytes pdu, ResponseHandler done) {
  if (closed_ || pdu.empty()) {
    if (done) done(closed_ ? asio::error::not_connected : asio::error::invalid_argument, {});
    return;
  }
  own_requests_.push_back({std::move(pdu), std::move(done)});
  next_request();
}

void AttBearer::next_request() {
  if (closed_ || awaiting_ || own_requests_.empty()) return;
  awaiting_ = true;
  arm(response_timer_, opts_.transaction_timeout, timeout_error());
  enqueue({own_requests_.front().pdu});
}

void AttBearer::enqueue(Outgoing out) {
  if (closed_ || out.pdu.empty()) return;
  tx_.push_back(std::move(out));
  send_next();
}

void AttBearer::send_next() {
  if (sending_ || raising_ || closed_ || tx_.empty()) return;
  sending_ = true;
  socket_.async_send(asio::buffer(tx_.front().pdu), 0, [self = shared_from_this()](std::error_code ec, std::size_t) {
    self->sending_ = false;
    if (self->closed_) return;
    if (ec) return self->end(ec);
    ++self->stats_.pdus_out;
    const SecurityLevel raise = self->tx_.front().raise_after;
    self->tx_.pop_front();
    // The error response is on its way: now ask for the level it lacked.
    if (raise != SecurityLevel::low && self->state_.security && !self->raising_) self->start_raise(raise, nullptr);
    self->send_next();
  });
}

void AttBearer::raise_security(SecurityLevel level, Completion done) {
  if (closed_) {
    if (done) done(asio::error::not_connected);
    return;
  }
  if (!state_.security) {
    if (done) done(errno_code(ENOTSUP));
    return;
  }
  if (state_.level() >= level) {
    if (done) done({});
    return;
  }
  if (raising_) {
    raise_waiters_.push_back(std::move(done));
    return;
  }
  start_raise(level, std::move(done));
}

void AttBearer::start_raise(SecurityLevel level, Completion done) {
  raising_ = true;
  ++stats_.security_raises;
  if (done) raise_waiters_.push_back(std::move(done));
  arm(security_timer_, opts_.security_timeout, timeout_error());
  std::weak_ptr<AttBearer> weak = weak_from_this();
  state_.security->raise(socket_, level, [weak, level](std::error_code ec) {
    auto self = weak.lock();
    if (!self || self->closed_ || !self->raising_) return;
    self->security_timer_.cancel();
    self->raising_ = false;
    if (ec) {
      // Refused at once (e.g. the level is already there): nothing is held.
      ++self->stats_.security_failures;
      spdlog::info("att: raising security to {}: {}", static_cast<int>(level), ec.message());
    } else if (self->server_) {
      self->server_->security_changed(self->state_);
    }
    auto waiters = std::move(self->raise_waiters_);
    self->raise_waiters_.clear();
    for (auto& w : waiters)
      if (w) w(ec);
    self->send_next();
  });
}

void AttBearer::security_failed(std::error_code why) {
  if (closed_ || !raising_) return;
  ++stats_.security_failures;
  end(why ? why : errno_code(EACCES));
}

void AttBearer::close() { end(asio::error::operation_aborted); }

void AttBearer::end(std::error_code why) {
  if (closed_) return;
  closed_ = true;
  auto keep = weak_from_this().lock();  // stay alive through the callbacks below
  request_timer_.cancel();
  response_timer_.cancel();
  indication_timer_.cancel();
  security_timer_.cancel();
  std::error_code ignored;
  socket_.close(ignored);
  tx_.clear();
  if (started_ && server_) server_->disconnect(state_);
  state_.alive.reset();  // pending handler continuations become no-ops
  // Never call user code while iterating a live container.
  const std::error_code fail = why == timeout_error() ? why : std::error_code(asio::error::operation_aborted);
  auto indications = std::move(indications_);
  indications_.clear();
  auto requests = std::move(own_requests_);
  own_requests_.clear();
  auto waiters = std::move(raise_waiters_);
  raise_waiters_.clear();
  raising_ = false;
  for (auto& ind : indications)
    if (ind.done) ind.done(fail);
  for (auto& r : requests)
    if (r.done) r.done(fail, {});
  for (auto& w : waiters)
    if (w) w(why);
  if (client_) client_->on_bearer_closed(why);
  if (auto cb = std::move(on_closed_)) cb(why);
}

}  // namespace bcms::att
