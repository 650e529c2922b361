// Submitter: moves the outbox's samples to the IoT backend.
//
// One coroutine on the loop runs rounds: every `interval` (--sleep-data),
// or sooner after wake().  A round takes the devices with stored samples,
// oldest first, and for each:
//   1. registration (spec README "Registration"): a device the daemon
//      allows (`may_register`: approved or paired) is looked up with
//      `exists`, created when absent, and its id stored in the outbox
//      file; the answer is trusted for `recheck` (an hour) before it is
//      asked again.  A device that may not be registered, or that the
//      backend refused to create (4xx), is not submitted: its samples
//      expire after the outbox's unregistered_expiry (180 s).
//   2. submission in batches of at most `batch_limit` samples of that
//      device, oldest first: 2xx removes the batch; a 4xx is logged with
//      the body and the batch is dropped (counted), the device's
//      registration is asked again next round (a backend that forgot the
//      device answers 4xx too), and the device's next batch and the other
//      devices go on; a 5xx, garbage, a timeout, a refused token or a
//      refused connection ends the round.
// A round that ended on a transient failure is followed by exponential
// backoff (backoff_min doubling up to backoff_max) instead of the
// interval, and wake() does not shorten it.  A round that left the outbox
// empty is followed by no timer at all: the loop sleeps until wake() (the
// writer committed samples), so an idle gateway with a backend configured
// has no periodic wake-up for submission.  A wake() while a round runs
// starts the next round as soon as it ends.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "src/daemon/iot/backend.hpp"
#include "src/daemon/iot/outbox.hpp"

namespace bcms::iot {

struct SubmitterOptions {
  std::chrono::milliseconds interval{30'000};
  std::chrono::seconds recheck{3600};
  std::chrono::milliseconds backoff_min{1'000};
  std::chrono::milliseconds backoff_max{300'000};
  std::size_t batch_limit = 500;
  /// May this device be registered with the backend (approved or paired)?
  /// Empty: every device may.
  std::function<bool(std::string_view device)> may_register;
  /// Told the backend's id of a device each time the backend was asked
  /// (found or created; not when a stored answer was reused): the daemon
  /// keeps it with the device (registry, devices table, RPC).
  std::function<void(const std::string& device, const std::string& iot_id)> on_registered;
};

struct SubmitterCounters {
  std::uint64_t rounds = 0;
  std::uint64_t batches_sent = 0;       // answered 2xx
  std::uint64_t batches_rejected = 0;   // answered 4xx
  std::uint64_t failures = 0;           // rounds ended by a transient failure
  std::uint64_t registrations = 0;      // devices created on the backend
  std::uint64_t consecutive_failures = 0;
  std::chrono::milliseconds backoff{0};  // the current backoff (0: none)
};

class Submitter {
 public:
  Submitter(asio::any_io_executor ex, Backend& backend, Outbox& outbox, SubmitterOptions options);
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;
  ~Submitter();

  /// Starts the round loop on the executor.
  void start();
  /// Ends the loop (a request in flight completes and is forgotten).
  void stop();
  /// A round soon (new samples), unless in backoff.
  void wake();
  /// One round; the error that ended it, if any.
  asio::awaitable<expected<void>> round();
  /// Forget the registration answer for a device (it was approved).
  void recheck(std::string_view device);

  [[nodiscard]] const SubmitterCounters& counters() const noexcept { return counters_; }

 private:
  asio::awaitable<void> run(std::shared_ptr<bool> alive);
  /// The device's backend id; empty when it is not (to be) registered.
  asio::awaitable<expected<std::string>> registered(const std::string& device);
  asio::awaitable<expected<void>> submit_device(const std::string& device, const std::string& iot_id);

  asio::any_io_executor ex_;
  Backend& backend_;
  Outbox& outbox_;
  SubmitterOptions options_;
  asio::steady_timer timer_;
  SubmitterCounters counters_;
  bool running_ = false;
  bool stopped_ = false;
  bool woken_ = false;  // wake() since the current round began
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace bcms::iot
