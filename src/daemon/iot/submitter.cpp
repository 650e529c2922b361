#include "src/daemon/iot/submitter.hpp"

#include <spdlog/spdlog.h>

#include <asio/co_spawn.hpp>
#include <asio/detached.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <vector>

#include "src/daemon/iot/iot_error.hpp"

namespace bcms::iot {
namespace {

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(Clock::now().time_since_epoch()).count();
}

}  // namespace

Submitter::Submitter(asio::any_io_executor ex, Backend& backend, Outbox& outbox, SubmitterOptions options)
    : ex_(ex), backend_(backend), outbox_(outbox), options_(std::move(options)), timer_(ex) {}

Submitter::~Submitter() {
  *alive_ = false;
  timer_.cancel();
}

void Submitter::start() {
  if (running_) return;
  running_ = true;
  stopped_ = false;
  asio::co_spawn(ex_, run(alive_), asio::detached);
}

void Submitter::stop() {
  stopped_ = true;
  timer_.cancel();
}

void Submitter::wake() {
  if (counters_.backoff.count() != 0) return;
  woken_ = true;
  timer_.cancel();
}

void Submitter::recheck(std::string_view device) {
  auto r = outbox_.registration(device);
  if (r && *r) {
    (*r)->checked_at = 0;
    (void)outbox_.store_registration(**r);
  }
}

asio::awaitable<void> Submitter::run(std::shared_ptr<bool> alive) {
  const auto as_tuple = asio::experimental::as_tuple(asio::use_awaitable);
  while (*alive && !stopped_) {
    woken_ = false;
    auto r = co_await round();
    if (!*alive) co_return;
    std::chrono::milliseconds wait = options_.interval;
    bool idle = false;  // nothing waits: no timer, only wake() or stop()
    if (!r) {
      ++counters_.failures;
      ++counters_.consecutive_failures;
      auto b = options_.backoff_min;
      for (std::uint64_t i = 1; i < counters_.consecutive_failures && b < options_.backoff_max; ++i) b *= 2;
      wait = counters_.backoff = std::min(b, options_.backoff_max);
      spdlog::warn("iot: submission failed ({}), {} sample(s) waiting; retry in {} ms", r.error().message(),
                   outbox_.size(), wait.count());
    } else {
      counters_.consecutive_failures = 0;
      counters_.backoff = std::chrono::milliseconds(0);
      if (woken_) continue;  // samples committed during the round
      idle = outbox_.size() == 0;
    }
    if (idle) {
      timer_.expires_at(asio::steady_timer::time_point::max());
    } else {
      timer_.expires_after(wait);
    }
    auto [ec] = co_await timer_.async_wait(as_tuple);
    (void)ec;  // cancelled: wake() or stop()
    if (!*alive) co_return;
  }
  running_ = false;
}

asio::awaitable<expected<void>> Submitter::round() {
  ++counters_.rounds;
  auto devices = outbox_.devices();
  if (!devices) co_return unexpected(devices.error());
  for (const auto& device : *devices) {
    auto id = co_await registered(device);
    if (!id) co_return unexpected(id.error());
    if (id->empty()) {
      (void)outbox_.expire(device, Clock::now());
      continue;
    }
    auto r = co_await submit_device(device, *id);
    if (!r) co_return r;
  }
  co_return expected<void>{};
}

asio::awaitable<expected<std::string>> Submitter::registered(const std::string& device) {
  auto known = outbox_.registration(device);
  if (!known) co_return unexpected(known.error());
  const std::int64_t now = now_seconds();
  if (*known && now - (*known)->checked_at < options_.recheck.count() && now >= (*known)->checked_at) {
    co_return (*known)->iot_id;
  }
  if (options_.may_register && !options_.may_register(device)) co_return std::string();
  Registration reg{device, {}, now};
  auto exists = co_await backend_.exists(device);
  if (exists && exists->exists) {
    reg.iot_id = exists->id;
  } else if (exists) {
    auto created = co_await backend_.create(device);
    if (created) {
      reg.iot_id = *created;
      ++counters_.registrations;
      spdlog::info("iot: registered {} as {}", device, reg.iot_id);
    } else if (created.error() == errc::client_error) {
      spdlog::warn("iot: the backend refused to create {} (HTTP {}): {}", device, backend_.last_status(),
                   backend_.last_body());
    } else {
      co_return unexpected(created.error());
    }
  } else if (exists.error() == errc::client_error) {
    spdlog::warn("iot: the backend refused to look up {} (HTTP {}): {}", device, backend_.last_status(),
                 backend_.last_body());
  } else {
    co_return unexpected(exists.error());
  }
  if (auto s = outbox_.store_registration(reg); !s) co_return unexpected(s.error());
  if (!reg.iot_id.empty() && options_.on_registered) options_.on_registered(device, reg.iot_id);
  co_return reg.iot_id;
}

asio::awaitable<expected<void>> Submitter::submit_device(const std::string& device, const std::string& iot_id) {
  for (;;) {
    auto batch = outbox_.batch(device, options_.batch_limit);
    if (!batch) co_return unexpected(batch.error());
    if (batch->empty()) co_return expected<void>{};
    std::vector<std::int64_t> ids;
    ids.reserve(batch->size());
    for (const auto& s : *batch) ids.push_back(s.id);
    auto r = co_await backend_.submit(iot_id, *batch);
    if (r) {
      ++counters_.batches_sent;
      if (auto d = outbox_.remove(ids); !d) co_return d;
    } else if (r.error() == errc::client_error) {
      ++counters_.batches_rejected;
      spdlog::error("iot: the backend refused {} sample(s) of {} (HTTP {}), dropped: {}", ids.size(), device,
                    backend_.last_status(), backend_.last_body());
      if (auto d = outbox_.reject(ids); !d) co_return d;
      recheck(device);  // a backend that no longer knows the device answers 4xx too
    } else {
      co_return r;
    }
    if (batch->size() < options_.batch_limit) co_return expected<void>{};
  }
}

}  // namespace bcms::iot
