// OutboxWriter: batches the outbox's writes so that a stream of readings
// costs a commit per window, not per reading.
//
// The first sample buffered starts a window (`window`, 100 ms by
// default); when it ends, everything buffered commits in one transaction.
// A buffer that reaches `max_batch` commits at the end of the current
// loop turn instead (a burst: every reading decoded from the reports read
// in this turn), and a window of 0 means every loop turn.  The collector
// never waits for a commit.  After a commit that wrote something,
// `on_flushed` runs (the submitter's wake-up).  A failed commit keeps the
// buffer and is tried again after `retry_delay`.
//
// What a crash can lose: the samples of the current window, which were
// never acknowledged to anyone (see outbox.hpp, durability order).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>

#include "src/daemon/iot/outbox.hpp"

namespace bcms::iot {

struct WriterOptions {
  std::chrono::milliseconds window{100};
  std::size_t max_batch = 1000;
  std::chrono::milliseconds retry_delay{1000};
};

class OutboxWriter {
 public:
  OutboxWriter(asio::any_io_executor ex, Outbox& outbox, std::function<void()> on_flushed = {},
               WriterOptions options = {});
  OutboxWriter(const OutboxWriter&) = delete;
  OutboxWriter& operator=(const OutboxWriter&) = delete;
  ~OutboxWriter();

  /// Outbox::add, then a commit when the window ends (or this turn, for a
  /// full batch).  Returns the number of samples buffered.
  std::size_t add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings);
  /// Commits now (at shutdown: SIGTERM writes what is buffered).
  expected<void> flush_now();

 private:
  void schedule_turn();
  void schedule_window(std::chrono::milliseconds delay);
  asio::any_io_executor ex_;
  Outbox& outbox_;
  std::function<void()> on_flushed_;
  WriterOptions options_;
  asio::steady_timer timer_;
  bool turn_scheduled_ = false;
  bool timer_armed_ = false;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bcms::iot
