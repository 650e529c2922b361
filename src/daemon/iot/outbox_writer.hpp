// OutboxWriter: batches the outbox's writes per loop turn.  The first
// add() of a turn posts one flush to the loop; everything added before
// that flush runs (the rest of the burst: every reading decoded from the
// reports read in this turn) commits in the same transaction, so a burst
// costs one fsync, and the caller (the collector) never waits for it.
// After a flush that wrote something, `on_flushed` runs (the submitter's
// wake-up).  A failed flush keeps the buffer and tries again after
// `retry_delay`.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "src/daemon/iot/outbox.hpp"

namespace bcms::iot {

class OutboxWriter {
 public:
  OutboxWriter(asio::any_io_executor ex, Outbox& outbox, std::function<void()> on_flushed = {},
               std::chrono::milliseconds retry_delay = std::chrono::seconds(1));
  OutboxWriter(const OutboxWriter&) = delete;
  OutboxWriter& operator=(const OutboxWriter&) = delete;
  ~OutboxWriter();

  /// Outbox::add, then a flush at the end of this loop turn.
  std::size_t add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings);
  /// Flushes now (at shutdown: SIGTERM writes what is buffered).
  expected<void> flush_now();

 private:
  void schedule();
  asio::any_io_executor ex_;
  Outbox& outbox_;
  std::function<void()> on_flushed_;
  std::chrono::milliseconds retry_delay_;
  asio::steady_timer retry_;
  bool scheduled_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bcms::iot
