// OutboxFeed: the collector's readings into the OutboxWriter, grouped per
// device and second within one loop turn.
//
// The collector hands over one reading at a time (collector::Sink), but
// the readings of one value (a blood pressure's sys, dias and map; the
// fields of one advertisement) are one sample with one timestamp, and the
// outbox's sampling rule (2 s per device and type) would refuse the
// second field offered alone.  So the readings of a loop turn are
// collected here, one group per (device, second of the wall clock: the
// outbox keeps seconds), and the first reading of a turn posts the
// hand-over to the writer at the end of that turn.  The collector never
// waits for it; the writer's window decides when it is committed.
//
// Used by the daemon's runtime (runtime.cpp) and tests/bench/bench_collector.
// The writer must outlive the feed; a hand-over still posted when the
// feed is destroyed does nothing (call flush() first to keep it).
#pragma once

#include <asio/any_io_executor.hpp>
#include <memory>
#include <string>
#include <vector>

#include "src/daemon/iot/outbox_writer.hpp"

namespace bcms::daemon {

class OutboxFeed {
 public:
  OutboxFeed(asio::any_io_executor ex, iot::OutboxWriter& writer);
  OutboxFeed(const OutboxFeed&) = delete;
  OutboxFeed& operator=(const OutboxFeed&) = delete;

  /// One reading of `device` ("AA:BB:CC:DD:EE:FF"), read at `at`.
  void add(std::string device, iot::Clock::time_point at, const sensor::Reading& reading);
  /// Hands the groups of this turn to the writer now (at shutdown, before
  /// OutboxWriter::flush_now).
  void flush();
  /// Readings waiting for the end of the turn.
  [[nodiscard]] std::size_t pending() const noexcept;

 private:
  struct Group {
    std::string device;
    iot::Clock::time_point at;
    std::vector<sensor::Reading> readings;
  };
  asio::any_io_executor ex_;
  iot::OutboxWriter& writer_;
  std::vector<Group> groups_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bcms::daemon
