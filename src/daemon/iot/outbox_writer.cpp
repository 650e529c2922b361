#include "src/daemon/iot/outbox_writer.hpp"

#include <asio/post.hpp>
#include <utility>

namespace bcms::iot {

OutboxWriter::OutboxWriter(asio::any_io_executor ex, Outbox& outbox, std::function<void()> on_flushed,
                           WriterOptions options)
    : ex_(ex), outbox_(outbox), on_flushed_(std::move(on_flushed)), options_(options), timer_(ex) {}

OutboxWriter::~OutboxWriter() { *alive_ = false; }

std::size_t OutboxWriter::add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings) {
  const std::size_t n = outbox_.add(device, at, readings);
  if (n == 0) return 0;
  if (options_.window.count() == 0 || outbox_.buffered() >= options_.max_batch) {
    schedule_turn();
  } else {
    schedule_window(options_.window);
  }
  return n;
}

void OutboxWriter::schedule_turn() {
  if (turn_scheduled_) return;
  turn_scheduled_ = true;
  asio::post(ex_, [this, alive = alive_] {
    if (!*alive) return;
    turn_scheduled_ = false;
    (void)flush_now();
  });
}

void OutboxWriter::schedule_window(std::chrono::milliseconds delay) {
  if (timer_armed_) return;
  timer_armed_ = true;
  timer_.expires_after(delay);
  timer_.async_wait([this, alive = alive_](std::error_code ec) {
    if (ec || !*alive) return;
    timer_armed_ = false;
    (void)flush_now();
  });
}

expected<void> OutboxWriter::flush_now() {
  if (timer_armed_) {
    timer_armed_ = false;
    timer_.cancel();
  }
  const bool had = outbox_.buffered() > 0;
  auto r = outbox_.flush();
  if (!r) {
    // Kept in the buffer; try again later rather than spin on a full disk.
    schedule_window(options_.retry_delay);
    return r;
  }
  if (had && on_flushed_) on_flushed_();
  return r;
}

}  // namespace bcms::iot
