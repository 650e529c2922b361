#include "src/collector/procedure.hpp"

#include <algorithm>
#include <asio/steady_timer.hpp>
#include <asio/this_coro.hpp>
#include <asio/redirect_error.hpp>
#include <asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "protocol/gatt/time.hpp"
#include "protocol/sensor/gatt_readings.hpp"

namespace bcms::collector {

namespace {

using namespace std::chrono_literals;

constexpr std::uint8_t prop_read = 0x02;                // Part G 3.3.1.1
constexpr std::uint8_t prop_notify = 0x10;
constexpr std::uint8_t prop_indicate = 0x20;
constexpr auto bearer_poll = 100ms;  // how soon a disconnect ends the listening

/// Decodes one value of `uuid` and hands its readings on; false when the
/// value does not decode.
bool decode(std::uint16_t uuid, byte_span value, const ReadingFn& on_reading, ProcedureReport& report) {
  auto r = sensor::decode_characteristic(uuid, value);
  if (!r) {
    spdlog::warn("collector: characteristic 0x{:04x}: {}", uuid, r.error().message());
    return false;
  }
  for (auto& reading : *r) {
    ++report.readings;
    on_reading(std::move(reading));
  }
  return true;
}

std::error_code bearer_ended() { return asio::error::not_connected; }

/// Step 3: the device clock.
asio::awaitable<void> check_clock(att::GattClient& c, const att::RemoteDatabase& db,
                                  const ProcedureSpec& spec, const WallClock& wall, ProcedureReport& report) {
  const att::CharacteristicInfo* dt = db.find(gatt::date_time_uuid);
  const att::CharacteristicInfo* ct = dt ? nullptr : db.find(gatt::current_time_uuid);
  const att::CharacteristicInfo* ch = dt ? dt : ct;
  if (!ch) co_return;
  auto value = co_await c.read(ch->value_handle);
  if (!value) {
    ++report.failures;
    spdlog::warn("collector: reading the device clock failed: {}", value.error().message());
    co_return;
  }
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(wall().time_since_epoch()).count();
  expected<std::int64_t> device = tl::unexpected(std::error_code{});
  if (dt) {
    auto t = gatt::decode_date_time(*value);
    if (t) device = gatt::to_unix(*t);
  } else {
    auto t = gatt::decode_current_time(*value);
    if (t) device = gatt::to_unix(t->date_time);
  }
  if (device) {
    report.clock_offset = std::chrono::seconds(*device - now);
    if (std::chrono::abs(*report.clock_offset) <= spec.max_clock_skew) co_return;
  }
  expected<bytes> encoded = dt ? gatt::encode_date_time(gatt::date_time_from_unix(now))
                               : gatt::encode_current_time(gatt::current_time_from_unix(now));
  if (!encoded) co_return;
  bytes v = std::move(*encoded);
  auto w = co_await c.write(ch->value_handle, v);
  if (!w) {
    ++report.failures;
    spdlog::warn("collector: setting the device clock failed: {}", w.error().message());
    co_return;
  }
  report.clock_written = true;
}

}  // namespace

asio::awaitable<expected<ProcedureReport>> run_procedure(att::GattClient& c, const ProcedureSpec& spec,
                                                         ReadingFn on_reading, WallClock wall,
                                                         att::DiscoveryCacheStore* cache, Peer identity,
                                                         std::function<void()> resolved) {
  ProcedureReport report;
  att::ResolveStats stats;
  auto db = co_await att::resolve_database(c, cache, identity, &stats);
  if (!db) co_return tl::unexpected(db.error());
  report.cache_hit = stats.cache_hit;
  if (resolved) resolved();

  // Step 2: reads.
  for (std::uint16_t uuid : spec.reads) {
    const att::CharacteristicInfo* ch = db->find(uuid);
    if (!ch) continue;
    auto v = co_await c.read(ch->value_handle);
    if (!c.bearer().usable()) co_return tl::unexpected(v ? bearer_ended() : v.error());
    if (!v || !decode(uuid, *v, on_reading, report)) ++report.failures;
  }

  // Step 3: the clock.
  if (spec.clock) {
    co_await check_clock(c, *db, spec, wall, report);
    if (!c.bearer().usable()) co_return tl::unexpected(bearer_ended());
  }

  // Step 4: subscriptions (or one read where the device cannot push).
  std::vector<att::GattClient::Subscription> subs;
  std::vector<std::uint16_t> cccds;
  for (std::uint16_t uuid : spec.subscribe) {
    const att::CharacteristicInfo* ch = db->find(uuid);
    if (!ch) continue;
    const std::uint8_t props = ch->properties;
    std::optional<std::uint16_t> cccd;
    if (props & (prop_notify | prop_indicate)) cccd = db->cccd(ch->value_handle);
    if (!cccd) {
      if (props & prop_read) {
        auto v = co_await c.read(ch->value_handle);
        if (!v || !decode(uuid, *v, on_reading, report)) ++report.failures;
      }
      if (!c.bearer().usable()) co_return tl::unexpected(bearer_ended());
      continue;
    }
    att::GattClient::ValueHandler handler = [uuid, &on_reading, &report](byte_span value) {
      ++report.values_received;
      if (!decode(uuid, value, on_reading, report)) ++report.failures;
    };
    const bool indications = (props & prop_indicate) != 0;
    auto sub = co_await c.subscribe(ch->value_handle, *cccd, indications, handler);
    if (!sub) {
      if (!c.bearer().usable()) co_return tl::unexpected(sub.error());
      ++report.failures;
      spdlog::warn("collector: subscribing to 0x{:04x} failed: {}", uuid, sub.error().message());
      continue;
    }
    subs.push_back(std::move(*sub));
    cccds.push_back(*cccd);
  }
  if (subs.empty()) co_return report;

  // Listen; a bearer that ends ends the procedure.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + spec.listen;
  while (c.bearer().usable()) {
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::steady_clock::duration::zero()) break;
    timer.expires_after(std::min<std::chrono::steady_clock::duration>(left, bearer_poll));
    std::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) break;
  }
  if (!c.bearer().usable()) co_return tl::unexpected(bearer_ended());
  // CCCDs off first, handlers dropped after: a value the device sends
  // before it has our write is still kept.
  for (std::uint16_t cccd : cccds) {
    auto u = co_await c.unsubscribe(cccd);
    if (!u && !c.bearer().usable()) break;  // gone: nothing left to tidy
  }
  subs.clear();
  co_return report;
}

}  // namespace bcms::collector
