#include "src/daemon/iot/outbox_writer.hpp"

#include <asio/post.hpp>
#include <utility>

namespace bcms::iot {

OutboxWriter::OutboxWriter(asio::any_io_executor ex, Outbox& outbox, std::function<void()> on_flushed,
                           std::chrono::milliseconds retry_delay)
    : ex_(ex), outbox_(outbox), on_flushed_(std::move(on_flushed)), retry_delay_(retry_delay), retry_(ex) {}

OutboxWriter::~OutboxWriter() { *alive_ = false; }

std::size_t OutboxWriter::add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings) {
  const std::size_t n = outbox_.add(device, at, readings);
  if (n) schedule();
  return n;
}

void OutboxWriter::schedule() {
  if (scheduled_) return;
  scheduled_ = true;
  asio::post(ex_, [this, alive = alive_] {
    if (!*alive) return;
    scheduled_ = false;
    (void)flush_now();
  });
}

expected<void> OutboxWriter::flush_now() {
  const bool had = outbox_.buffered() > 0;
  auto r = outbox_.flush();
  if (!r) {
    // Kept in the buffer (bounded by what the sensors send in retry_delay);
    // try again later rather than spin on a full disk.
    retry_.expires_after(retry_delay_);
    retry_.async_wait([this, alive = alive_](std::error_code ec) {
      if (ec || !*alive) return;
      schedule();
    });
    return r;
  }
  if (had && on_flushed_) on_flushed_();
  return r;
}

}  // namespace bcms::iot
