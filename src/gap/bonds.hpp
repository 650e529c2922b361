// BondManager: durable LE bonds between the kernel and the storage module.
//
// Design overview
//  * Keys arrive as mgmt events after SMP key distribution (Core v5.4
//    Vol 3 Part H 3.6): New Long Term Key (0x000A), New Identity Resolving
//    Key (0x0018), New Signature Resolving Key (0x0019).  Store_Hint 1
//    means both sides asked for bonding and the key should be kept
//    (mgmt-api.txt); only those are written to storage (SQLite, WAL,
//    synchronous=FULL: a key is on disk when the write returns).
//  * At start, load_into_kernel() sends Load Long Term Keys and Load
//    Identity Resolving Keys with every stored key.  Both commands REPLACE
//    the kernel's lists, so this also drops keys the kernel holds that we
//    no longer have (an unpaired peer): the kernel and the store agree.
//    The kernel then answers the peer's LE Long Term Key Request by itself
//    (Vol 4 Part E 7.7.65.5): the bond survives restarts without pairing
//    again.
//  * Device Unpaired (0x0016) removes the peer's keys and CCCDs.
//  * What the GATT server keeps per bonded client (CCCDs, Service Changed
//    subscription, database hash, Client Supported Features, SignCounter:
//    src/att/client_store.hpp) is stored here: the server's ClientStore.
//    Saves are batched: records changed during one loop turn are committed
//    together by one transaction posted to the loop, after the ATT
//    response has gone out (the decision is written next to the storage
//    code, src/storage/gatt_clients.cpp).  load() sees saves not yet
//    committed.
//  * The GATT client's discovery cache of a bonded peer (what discovery
//    found on it, src/att/discovery_cache.hpp) is stored here too, keyed by
//    the peer's identity address: the DiscoveryCacheStore.  Only bonded
//    peers have one; it goes with the bond on unpair.  identity_of() maps a
//    resolvable private address to its identity with the stored IRKs, so
//    every RPA of a peer finds the same entry.
//  * Records belong to the local controller's public address (stable,
//    unlike the controller index).
#pragma once

#include <asio/awaitable.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <system_error>
#include <vector>

#include "protocol/address.hpp"
#include "src/att/discovery_cache.hpp"
#include "src/att/gatt_server.hpp"
#include "src/mgmt/channel.hpp"
#include "src/storage/storage.hpp"

namespace bcms::mgmt {
struct NewLongTermKeyEvent;
struct NewIdentityResolvingKeyEvent;
struct NewSignatureResolvingKeyEvent;
struct DeviceUnpairedEvent;
}  // namespace bcms::mgmt

namespace bcms::gap {

class BondManager final : public att::ClientStore, public att::DiscoveryCacheStore {
 public:
  /// `store` is borrowed and must outlive the manager.
  BondManager(mgmt::MgmtChannel& ch, std::uint16_t index, storage::Storage& store, const Address& local);
  ~BondManager() override;
  BondManager(const BondManager&) = delete;
  BondManager& operator=(const BondManager&) = delete;

  /// Load Long Term Keys + Load Identity Resolving Keys from storage
  /// (even when empty: the kernel's lists are replaced).
  asio::awaitable<std::error_code> load_into_kernel();

  [[nodiscard]] bool bonded(const Peer& peer) const;
  [[nodiscard]] std::vector<storage::Peer> peers() const;
  /// The peer's remote CSRK (for signed writes), if stored, and whether it
  /// came from authenticated pairing (key types 0x02/0x03).
  struct Csrk {
    Key128 key{};
    bool authenticated = false;
  };
  [[nodiscard]] std::optional<Csrk> remote_csrk(const Peer& peer);

  /// The identity address of a peer seen at `addr`: for a resolvable
  /// private address, the identity of the bonded peer whose IRK generated
  /// it (Core v5.4 Vol 6 Part B 1.3.2.3); otherwise `addr` itself.
  [[nodiscard]] Peer identity_of(const Peer& addr) const;

  /// Called after a peer's first stored key (the peer became bonded), and
  /// after every stored key (`first` false for the following ones).
  void on_bonded(std::function<void(const storage::Peer&, bool first)> cb) { on_bonded_ = std::move(cb); }
  void on_unpaired(std::function<void(const storage::Peer&)> cb) { on_unpaired_ = std::move(cb); }

  // att::ClientStore
  std::optional<att::ClientRecord> load(const Peer& peer) override;
  void save(const Peer& peer, const att::ClientRecord& record) override;
  /// Commits saved records now (also done after each loop turn that saved).
  void flush();

  // att::DiscoveryCacheStore (bonded peers only, by identity address)
  std::optional<bytes> load_cache(const Peer& identity) override;
  void save_cache(const Peer& identity, byte_span blob) override;
  void drop_cache(const Peer& identity) override;

  struct Stats {
    std::uint64_t ltks_stored = 0;
    std::uint64_t irks_stored = 0;
    std::uint64_t csrks_stored = 0;
    std::uint64_t not_stored = 0;  // Store_Hint 0
    std::uint64_t storage_errors = 0;
    std::uint64_t client_commits = 0;   // transactions of client records
    std::uint64_t client_records = 0;   // records written by them
    std::uint64_t caches_stored = 0;    // discovery caches written
    std::uint64_t caches_dropped = 0;   // discovery caches removed (not counting unpair)
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }
  [[nodiscard]] const Address& local() const noexcept { return local_; }

 private:
  void on_ltk(const mgmt::NewLongTermKeyEvent& ev);
  void on_irk(const mgmt::NewIdentityResolvingKeyEvent& ev);
  void on_csrk(const mgmt::NewSignatureResolvingKeyEvent& ev);
  void on_unpair(const mgmt::DeviceUnpairedEvent& ev);
  void stored(const storage::Peer& peer);
  void refresh();
  bool check(const expected<void>& r, const char* what);

  mgmt::MgmtChannel& ch_;
  std::uint16_t index_;
  storage::Storage& store_;
  Address local_;
  std::set<Peer> bonded_;
  std::map<Peer, att::ClientRecord> dirty_;  // saved, not yet committed
  bool flush_posted_ = false;
  Stats stats_;
  std::function<void(const storage::Peer&, bool)> on_bonded_;
  std::function<void(const storage::Peer&)> on_unpaired_;
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::gap
