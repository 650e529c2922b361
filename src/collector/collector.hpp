// Collector: advertisements and connections in, typed readings out.
//
// Design overview
//  * Passive: every mgmt Device Found event (0x0012) is parsed as
//    advertising data and decoded by PassiveDecoder (passive.hpp: the
//    original's service-data mapping, BTHome v2 plain and encrypted with
//    per-device bind keys, Eddystone-TLM), then sampled: at most one
//    reading per (device, data type) per `sample_period` (the original's
//    2 s; several readings of one type in one advertisement, e.g. a
//    blood pressure's sys and dias, pass or fail together).
//  * Active: with `active` on, a device whose advertisement matches a
//    profile (profiles.hpp) is connected through the injected ConnectFn
//    (the connection manager in the daemon, an L2CAP socket in
//    bcms-collect, a socketpair in tests) and the profile's procedure
//    runs on a GattClient over the bearer (procedure.hpp).  Every reading
//    a procedure takes is kept: a device sending several measurements
//    sends them on purpose.  One procedure per device at a time, and a
//    device is not connected again within `reconnect_after` of the last
//    attempt.
//  * Readings go to the Sink as {device, reading, wall time, source}.
//  * One loop: call everything on the executor's thread.  The Collector
//    must outlive the procedures it started (stop the loop first).
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>
#include <map>
#include <memory>
#include <set>
#include <span>

#include "protocol/ad/ad.hpp"
#include "protocol/expected.hpp"
#include "src/att/bearer.hpp"
#include "src/collector/passive.hpp"
#include "src/collector/procedure.hpp"
#include "src/collector/profiles.hpp"
#include "src/collector/reading.hpp"
#include "protocol/sensor/sampling.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::mgmt {
struct DeviceFoundEvent;
}

namespace bcms::collector {

class Collector {
 public:
  struct Options {
    std::chrono::steady_clock::duration sample_period = sensor::SteadySampler::default_interval;
    bool active = false;
    std::span<const Profile> profiles = default_profiles();
    std::chrono::steady_clock::duration reconnect_after = std::chrono::seconds(60);
    /// After a procedure that failed (the connect timed out, the link
    /// dropped): tried again this soon.
    std::chrono::steady_clock::duration retry_after_failure = std::chrono::seconds(10);
  };
  /// Opens a link to a device: the ATT bearer, started, with no client
  /// role attached yet.  The procedure closes it when done.
  using ConnectFn = std::function<asio::awaitable<expected<std::shared_ptr<att::AttBearer>>>(Peer)>;

  struct Stats {
    std::uint64_t delivered = 0;
    std::uint64_t sampled_out = 0;  // dropped by the 2 s sampling
    std::uint64_t procedures_started = 0;
    std::uint64_t procedures_failed = 0;
  };

  Collector(asio::any_io_executor ex, Sink sink, Options opts, Clock clock = {});
  Collector(const Collector&) = delete;
  Collector& operator=(const Collector&) = delete;

  void set_bind_key(const Address& device, const Key128& key) { passive_.set_bind_key(device, key); }
  void set_connect(ConnectFn connect) { connect_ = std::move(connect); }
  /// Which devices the active procedures may connect to (the daemon's
  /// mode: approved ones only, or any); unset: every device.  Asked on
  /// every advertisement, so a device approved later is connected at its
  /// next advertisement, not after `reconnect_after`.
  void set_admit(std::function<bool(const Peer&)> admit) { admit_ = std::move(admit); }
  /// Discovery caches of bonded devices (gap::BondManager); none: every
  /// connection discovers.  Borrowed: it must outlive the Collector.
  /// The discovery cache (the bond manager) and how to find a device's
  /// identity address, the cache's key (a device with a private address
  /// is known by its identity once its IRK is; unset: the address seen).
  /// Called for a device whose database a procedure has just resolved
  /// (discovered or from the cache), while its link is up: the daemon
  /// relaxes the link's connection parameters there (fast ones serve
  /// discovery only).
  void set_on_resolved(std::function<void(const Peer&)> f) { on_resolved_ = std::move(f); }
  void set_cache(att::DiscoveryCacheStore* cache, std::function<Peer(const Peer&)> identity_of = {}) {
    cache_ = cache;
    identity_of_ = std::move(identity_of);
  }

  /// Device Found event parameters as the kernel sends them; the codec's
  /// error for malformed ones (counted nowhere else).
  std::error_code on_device_found(byte_span params);
  void on_device_found(const mgmt::DeviceFoundEvent& ev);
  /// One advertisement of `device` (its AD structures).
  void on_advertisement(const Peer& device, const ad::AdData& ad);

  /// Subscribes to Device Found on `index` of `channel`.
  [[nodiscard]] mgmt::Subscription attach(mgmt::MgmtChannel& channel, std::uint16_t index);

  /// Connects to `device` and runs `profile`'s procedure; readings go to
  /// the sink as they arrive.
  asio::awaitable<expected<ProcedureReport>> collect(Peer device, const Profile& profile);

  [[nodiscard]] const PassiveStats& passive_stats() const noexcept { return passive_.stats(); }
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  /// Devices with a procedure running.
  [[nodiscard]] std::size_t active_procedures() const noexcept { return busy_.size(); }

 private:
  void deliver(const Peer& device, sensor::Reading r, std::string_view source);
  void maybe_connect(const Peer& device, const ad::AdData& ad);

  asio::any_io_executor ex_;
  Sink sink_;
  Options opts_;
  Clock clock_;
  PassiveDecoder passive_;
  sensor::SteadySampler sampler_;
  ConnectFn connect_;
  std::function<bool(const Peer&)> admit_;
  std::function<void(const Peer&)> on_resolved_;
  att::DiscoveryCacheStore* cache_ = nullptr;
  std::function<Peer(const Peer&)> identity_of_;
  std::set<Address> busy_;
  std::map<Address, std::chrono::steady_clock::time_point> last_attempt_;
  Stats stats_;
};

}  // namespace bcms::collector
