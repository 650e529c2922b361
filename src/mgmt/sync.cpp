#include "src/mgmt/sync.hpp"

#include "src/mgmt/control_socket.hpp"

namespace bcms::mgmt {

expected<std::unique_ptr<MgmtSync>> MgmtSync::open() {
  auto io = std::make_unique<asio::io_context>(1);
  auto sock = open_control_socket(io->get_executor());
  if (!sock) return unexpected(sock.error());
  return std::make_unique<MgmtSync>(std::move(io), std::move(*sock));
}

MgmtSync::MgmtSync(std::unique_ptr<asio::io_context> io, MgmtChannel::socket_type socket)
    : io_(std::move(io)), channel_(std::make_unique<MgmtChannel>(std::move(socket))) {}

std::pair<std::error_code, bytes> MgmtSync::send_raw(std::uint16_t opcode, std::uint16_t index, bytes params,
                                                     duration timeout) {
  bool done = false;
  std::error_code result;
  bytes reply;
  channel_->send(
      opcode, index, std::move(params),
      [&](std::error_code ec, bytes r) {
        done = true;
        result = ec;
        reply = std::move(r);
      },
      timeout);
  // The channel guarantees exactly one completion (reply, error, timeout).
  while (!done) {
    io_->restart();
    io_->run_one();
  }
  return {result, std::move(reply)};
}

expected<bytes> MgmtSync::send(std::uint16_t opcode, std::uint16_t index, bytes params, duration timeout) {
  auto [ec, reply] = send_raw(opcode, index, std::move(params), timeout);
  if (ec) return unexpected(ec);
  return std::move(reply);
}

EventWatch MgmtSync::watch(std::initializer_list<std::uint16_t> codes, std::uint32_t index) {
  EventWatch w(*this);
  for (auto code : codes) {
    w.subs_.push_back(channel_->subscribe(code, index, [q = w.queue_, code](std::uint16_t idx, byte_span p) {
      q->push_back({code, idx, bytes(p.begin(), p.end())});
    }));
  }
  return w;
}

void MgmtSync::run_for(duration d) {
  io_->restart();
  io_->run_for(d);
}

std::optional<RawEvent> EventWatch::next(std::chrono::steady_clock::duration timeout) {
  if (queue_->empty()) {
    auto& io = sync_->context();
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (queue_->empty()) {
      const auto now = std::chrono::steady_clock::now();
      if (now >= deadline) break;
      io.restart();
      io.run_one_for(deadline - now);
    }
  }
  if (queue_->empty()) return std::nullopt;
  RawEvent ev = std::move(queue_->front());
  queue_->pop_front();
  return ev;
}

}  // namespace bcms::mgmt
