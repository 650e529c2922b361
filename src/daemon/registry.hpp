// Registry: every device the daemon has seen, what it knows about each,
// and what the user decided (approval, working mode).
//
// Design overview
//  * Entries are keyed by the device's identity (public or static random
//    address) once known, else by the address it advertises with.  A
//    device using resolvable private addresses (RPAs) gets one entry per
//    RPA until its IRK arrives (mgmt New Identity Resolving Key, which
//    names the RPA and the identity); then every tracked RPA that the IRK
//    resolves (Core v5.4 Vol 3 Part H 2.2.2, src/gap/rpa.hpp) is merged
//    into the identity's entry: approval and pairing OR-ed, the newest
//    name/RSSI/last seen kept, readings combined.  Reports from an RPA
//    the registry can resolve go to the identity (the kernel itself
//    reports identities for the IRKs it holds).
//  * Learned per device: name (from the advertising data), RSSI and time
//    of the last report, report count, and the advertising interval: the
//    smallest gap of the last 16 gaps between reports (a missed report
//    only makes a gap longer, a gap is at most 10 ms shorter than the
//    interval: advDelay, Vol 6 Part B 4.4.2.2.1), shown after 3 gaps.
//    Gaps above 10.24 s (the largest interval) are not counted.
//  * list(): devices seen in the last 60 s, or approved, or paired;
//    only_approved: approved or paired.  Sorted by address.
//  * Mode: persisted (setting "mode"), default approved.
//    accepts_readings_from(): mode any, or the device is approved/paired.
//  * Persistence (storage devices/settings): only devices worth
//    remembering are written: approved, paired, or registered with the
//    backend.  Changes are marked dirty and written in ONE transaction
//    posted to the loop (so a burst of reports or calls costs one fsync);
//    a remembered device's name/last seen/RSSI is written at most once a
//    minute, passers-by never.  A caller that must not answer before the
//    change is durable awaits commit().
//  * Memory: at most Options::max_tracked entries; beyond, the devices
//    not remembered and not seen for longest are dropped.
#pragma once

#include <asio/any_io_executor.hpp>
#include <asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "src/daemon/daemon_error.hpp"
#include "src/daemon/events.hpp"
#include "src/daemon/types.hpp"
#include "src/mgmt/channel.hpp"
#include "src/storage/storage.hpp"

namespace bcms::daemon {

class Registry {
 public:
  struct Options {
    std::chrono::seconds list_window{60};
    std::size_t readings_per_device = 20;
    std::size_t max_tracked = 4096;
    /// A remembered device's last seen and RSSI are written at most this often.
    std::chrono::seconds last_seen_write_interval{60};
  };
  using Now = std::function<Clock::time_point()>;

  /// `store` is borrowed; `local` is the controller's public address (the
  /// rows belong to it).  `now` is injected for tests.
  Registry(asio::any_io_executor ex, storage::Storage& store, const Address& local, Options options,
           Now now = [] { return Clock::now(); });
  ~Registry();  // commits what is dirty
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  /// Reads the remembered devices, the mode and the stored IRKs.
  expected<void> load();

  /// Subscribes to the controller's Device Found and New Identity
  /// Resolving Key events (the handles live as long as the registry or
  /// until the next attach/detach).
  void attach(mgmt::MgmtChannel& ch, std::uint16_t index);
  void detach();

  // ------------------------------------------------------------ inputs
  /// One advertising report (mgmt Device Found): the advertising data is
  /// parsed for a name.
  void report(const Peer& peer, std::int8_t rssi, byte_span eir);
  /// An IRK: `rpa` (may be all zero) was the address, `identity` the
  /// device's identity address.  Merges every tracked RPA it resolves.
  void identity_resolved(const Address& rpa, const Peer& identity, const Key128& irk);
  /// Bonded (keys stored) or unpaired.  Paired implies approved.
  void set_paired(const Peer& peer, bool paired);
  void add_reading(const Peer& peer, const sensor::Reading& r, Clock::time_point at);
  void set_registration(const Peer& peer, std::string id, Clock::time_point checked);

  // ------------------------------------------------------------ queries
  /// The entry's key for an address (identity, or a merged RPA), if known.
  [[nodiscard]] std::optional<Peer> find(const Address& address) const;
  [[nodiscard]] std::optional<DeviceInfo> info(const Peer& peer) const;
  /// The address to reach the device with now (its last RPA if the
  /// kernel cannot resolve it, else its key).
  [[nodiscard]] std::optional<Peer> reach(const Peer& peer) const;
  [[nodiscard]] std::vector<DeviceInfo> list(bool only_approved) const;
  [[nodiscard]] std::vector<DeviceReading> readings(const Peer& peer, std::size_t limit) const;
  [[nodiscard]] bool accepts_readings_from(const Peer& peer) const;
  [[nodiscard]] Mode mode() const noexcept { return mode_; }
  [[nodiscard]] std::size_t size() const noexcept { return entries_.size(); }

  // ------------------------------------------------------------ user decisions
  /// errc::device_not_found / already_approved.
  expected<void, Error> approve(const Peer& peer);
  /// errc::device_not_found / remove_paired.  The entry is dropped (the
  /// device reappears, unapproved, when seen again).
  expected<void, Error> remove(const Peer& peer);
  void set_mode(Mode m);
  /// Withdraws an approval without the checks of approve() (unpair).
  void revoke(const Peer& peer);

  /// Waits for the batched write of what is dirty now; errc::storage_failed
  /// (with SQLite's detail) if it failed (it is retried with the next batch).
  asio::awaitable<expected<void, Error>> commit();
  /// Writes what is dirty now (also done once per loop turn that changed something).
  expected<void, Error> flush();

  [[nodiscard]] EventHub& events() noexcept { return events_; }

  struct Stats {
    std::uint64_t reports = 0;
    std::uint64_t devices_new = 0;
    std::uint64_t rpas_merged = 0;
    std::uint64_t evicted = 0;
    std::uint64_t commits = 0;
    std::uint64_t rows_written = 0;
    std::uint64_t storage_errors = 0;
    std::uint64_t readings = 0;
    std::uint64_t readings_refused = 0;  // mode approved, device not approved
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  struct Entry;
  Entry* lookup(const Peer& peer);
  const Entry* lookup(const Peer& peer) const;
  Entry& touch(const Peer& key);
  void merge(const Peer& from, const Peer& into);
  [[nodiscard]] DeviceInfo to_info(const Entry& e) const;
  void mark(Entry& e);
  void schedule();
  void evict(const Peer& keep);
  void publish(Event::Kind kind, const Peer& peer, std::string text = {});

  asio::any_io_executor ex_;
  storage::Storage& store_;
  Address local_;
  Options opts_;
  Now now_;
  Mode mode_ = Mode::approved;
  bool mode_dirty_ = false;
  /// Orders peers as their written addresses sort (most significant
  /// octet first), then by type: list() needs no sort.
  struct WrittenOrder {
    bool operator()(const Peer& a, const Peer& b) const noexcept;
  };
  std::map<Peer, Entry, WrittenOrder> entries_;
  std::map<Address, Peer> rpa_to_identity_;  // merged RPAs
  std::vector<std::pair<Peer, Key128>> irks_;  // identity -> IRK
  std::map<Peer, bool> dirty_;  // key -> write (true) or delete (false)
  bool flush_posted_ = false;
  std::optional<Error> last_flush_error_;
  EventHub events_;
  Stats stats_;
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::daemon
