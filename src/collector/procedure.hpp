// The active procedure of a profile (profiles.hpp) on a connected GATT
// client, as one asio coroutine:
//
//   1. the peer's database: att::resolve_database (discovery, or the
//      bond's cached database when the peer's Database Hash is unchanged);
//   2. reads: each listed characteristic the device has, decoded;
//   3. clock (Date Time 0x2A08, else Current Time 0x2A2B): read, compared
//      with the wall clock, and rewritten with the wall clock's time when
//      it is more than max_clock_skew off or not a valid time;
//   4. subscriptions: the handler is registered before the CCCD write
//      (GattClient::subscribe), indications preferred when the
//      characteristic offers both (they are confirmed: none is lost);
//      every value is decoded and kept for `listen`, then the CCCDs are
//      written back to 0.
//
// A characteristic the device lacks is skipped; one it has that fails
// (an ATT error, a value that does not decode) is logged and counted.  A
// bearer that ends (disconnect) ends the procedure at once with an error,
// also while it listens.
#pragma once

#include <asio/awaitable.hpp>
#include <chrono>
#include <functional>
#include <optional>

#include "protocol/expected.hpp"
#include "protocol/sensor/reading.hpp"
#include "src/att/discovery_cache.hpp"
#include "src/att/gatt_client.hpp"
#include "src/collector/profiles.hpp"

namespace bcms::collector {

struct ProcedureReport {
  std::size_t readings = 0;
  std::size_t values_received = 0;   // notifications and indications
  std::size_t failures = 0;          // characteristics that failed (logged)
  std::optional<std::chrono::seconds> clock_offset{};  // device - wall, when read
  bool clock_written = false;
  bool cache_hit = false;  // the database came from the discovery cache
};

using ReadingFn = std::function<void(sensor::Reading)>;
using WallClock = std::function<std::chrono::system_clock::time_point()>;

/// Runs `spec` on `client`; `on_reading` gets every decoded reading as it
/// arrives.  `cache` (may be null: always discover) keeps the database of
/// bonded peers by `identity` (their identity address).  `resolved`, if
/// set, runs once the database is known (discovered or from the cache),
/// before the reads: where the link's fast connection parameters can be
/// relaxed.  Errors: the bearer's (it ended) or the discovery's.
asio::awaitable<expected<ProcedureReport>> run_procedure(att::GattClient& client, const ProcedureSpec& spec,
                                                         ReadingFn on_reading, WallClock wall,
                                                         att::DiscoveryCacheStore* cache = nullptr,
                                                         Peer identity = {}, std::function<void()> resolved = {});

}  // namespace bcms::collector
