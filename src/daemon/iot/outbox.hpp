// The durable outbox: readings waiting for the IoT backend.
//
// Storage: its own SQLite file (outbox.db next to the daemon's bcms.db),
// opened by storage::open_database (directory 0700, file 0600, WAL) with
// its own schema and migrations (outbox.cpp).  Its own file because its
// write pattern is nothing like the registry's: a steady stream of small
// inserts and deletes, no secure_delete, synchronous = NORMAL, and a
// database that can be deleted to start over without losing bonds.
//
// synchronous = NORMAL (WAL): a commit is in the WAL file (the kernel's
// page cache) when it returns, so it survives SIGKILL and any crash of
// the daemon; only a power loss or kernel crash can take back the last
// commits (never corrupting the file).  The readings in it were never
// acknowledged to anyone, and a lost delete means a resend (at-least-
// once, below).  An fsync per commit costs 4-9 ms on the build machine
// (tests/bench/bench_outbox, README); `power_safe` selects FULL for
// deployments that want power-loss durability at that price.
//
// Rows are samples: one element of the submit payload's per-type `data`
// array ({"timestamp", "data": {field: value}}), keyed by device, type and
// timestamp.  The sampling rule (protocol/sensor/sampling.hpp) makes (device, type,
// timestamp in seconds) unique, and the table enforces it, so a sample
// offered twice is stored once and the backend can de-duplicate on the
// same key.
//
// Durability order (DESIGN.md practice 14):
//   1. add(): the sampling rule, then the sample is buffered in memory.
//      Nothing is written; a crash here loses the buffer (the reading was
//      never acknowledged to anyone: a sensor's advertisement is not).
//   2. flush(): every buffered sample in one BEGIN IMMEDIATE ... COMMIT
//      (the size bound is enforced in the same transaction).  From here
//      the sample survives SIGKILL (and, with power_safe, power loss).
//      OutboxWriter calls flush() once per window (100 ms) or per loop
//      turn for a burst, so a burst costs one commit; the collector
//      never waits for it.  A failed flush keeps the buffer and is
//      retried.
//   3. batch(): the submitter reads committed samples only, so nothing is
//      sent that is not already on disk.
//   4. remove(): after the backend answered 2xx.  A crash between the
//      backend's answer and this commit sends the batch again on restart:
//      delivery is at-least-once, and the (device, type, timestamp) key
//      lets the backend drop the repeat (tests/backend does).
//
// Expiry: samples of a device that cannot be submitted (not registered
// with the backend: not allowed, or the backend refused to create it)
// are deleted once older than `unregistered_expiry` (the original's
// 180 s).  Samples waiting for an unreachable backend never expire; only
// the size bound (`max_samples`, oldest dropped first, counted and
// logged) limits them.
//
// Not thread-safe: one Outbox on the daemon's loop thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "protocol/expected.hpp"
#include "protocol/sensor/reading.hpp"
#include "protocol/sensor/sampling.hpp"
#include "src/storage/sqlite.hpp"

namespace bcms::iot {

using Clock = std::chrono::system_clock;

/// One sample of one data type of one device.
struct Sample {
  std::string device;          // the device's address, "AA:BB:CC:DD:EE:FF"
  std::string type;            // "heart_rate", "blood_pressure", ...
  std::int64_t timestamp = 0;  // seconds since the Unix epoch
  std::string data;            // the JSON object of the fields: {"sys":120,"dias":80}
  std::int64_t id = 0;         // row id once stored (insertion order)
  friend bool operator==(const Sample&, const Sample&) = default;
};

/// A device's state with the backend.
struct Registration {
  std::string device;
  std::string iot_id;            // the backend's id; empty: not registered
  std::int64_t checked_at = 0;   // seconds since the Unix epoch of the last check
};

struct OutboxOptions {
  std::size_t max_samples = 100'000;                     // size bound: oldest dropped first
  std::chrono::seconds unregistered_expiry{180};         // for samples that cannot be submitted
  std::chrono::milliseconds sample_interval{2000};       // at most one sample per (device, type)
  bool power_safe = false;  // synchronous = FULL: an fsync per commit (see the top)
};

/// What the outbox did since it was opened (logged as it happens, too).
struct OutboxCounters {
  std::uint64_t accepted = 0;        // samples committed
  std::uint64_t sampled_out = 0;     // samples refused by the 2 s rule
  std::uint64_t duplicates = 0;      // samples already stored (same device, type, timestamp)
  std::uint64_t dropped_full = 0;    // oldest samples dropped by the size bound
  std::uint64_t expired = 0;         // samples of unregistered devices past the expiry
  std::uint64_t submitted = 0;       // removed after a 2xx
  std::uint64_t rejected = 0;        // removed after a 4xx (logged with the body)
  std::uint64_t write_failures = 0;  // failed flushes (buffer kept, retried)
};

class Outbox {
 public:
  static expected<Outbox> open(const std::filesystem::path& file, const OutboxOptions& options = {},
                               std::string* detail = nullptr);
  Outbox(Outbox&&) noexcept;
  Outbox& operator=(Outbox&&) noexcept;
  ~Outbox();

  /// Applies the sampling rule to the readings of one device read at `at`
  /// (grouped by type: each type is one sample) and buffers what passes.
  /// Returns the number of samples buffered.  No I/O.
  std::size_t add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings);
  /// Buffers one ready-made sample (no sampling rule).
  void add(Sample s);
  [[nodiscard]] std::size_t buffered() const noexcept { return buffer_.size(); }

  /// Commits every buffered sample in one transaction (see the top).
  expected<void> flush();

  /// Samples stored (committed).
  [[nodiscard]] std::size_t size() const noexcept { return stored_; }
  /// The devices that have stored samples, the one with the oldest first.
  expected<std::vector<std::string>> devices();
  /// Up to `limit` of a device's samples, oldest first.
  expected<std::vector<Sample>> batch(std::string_view device, std::size_t limit);
  /// The backend took these samples (2xx): they are gone for good.
  expected<void> remove(std::span<const std::int64_t> ids);
  /// The backend refused these samples (4xx): removed and counted.
  expected<void> reject(std::span<const std::int64_t> ids);
  /// Deletes the device's samples older than the unregistered expiry;
  /// returns how many.
  expected<std::size_t> expire(std::string_view device, Clock::time_point now);

  expected<std::optional<Registration>> registration(std::string_view device);
  expected<void> store_registration(const Registration& r);

  [[nodiscard]] const OutboxCounters& counters() const noexcept { return counters_; }
  [[nodiscard]] const OutboxOptions& options() const noexcept { return options_; }
  [[nodiscard]] const std::string& last_error_detail() const noexcept;

 private:
  Outbox(std::unique_ptr<storage::Connection> c, const OutboxOptions& o, std::size_t stored);
  expected<void> delete_ids(std::span<const std::int64_t> ids);
  expected<void> enforce_bound();

  std::unique_ptr<storage::Connection> db_;
  OutboxOptions options_;
  sensor::WallSampler sampler_;
  std::vector<Sample> buffer_;
  std::size_t stored_ = 0;
  OutboxCounters counters_;
};

/// The JSON object text of one sample's fields: numbers as JSON numbers
/// (integral values without a fraction), text readings as strings.
std::string sample_data(std::span<const sensor::Reading* const> fields);

}  // namespace bcms::iot
