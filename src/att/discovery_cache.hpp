// Discovery cache: what GATT discovery found on a peer, kept per bonded
// device (keyed by its identity address, so it survives address rotation)
// and reused when the peer's database has not changed (Core v5.4 Vol 3
// Part G 2.5.2 "Attribute caching", 7.2 Client Supported Features, 7.3
// Database Hash).
//
// Design overview
//  * RemoteDatabase is what discovery found (services Part G 4.4.1,
//    characteristics 4.6.1, descriptors 4.7.1) plus the peer's Database
//    Hash when it has one.  encode()/decode_remote_database() are a pure,
//    versioned, length-checked codec (wire format in discovery_cache.cpp);
//    a blob that does not decode is a cache miss (logged), never a crash.
//  * DiscoveryCacheStore is where blobs live; gap::BondManager implements
//    it over src/storage (table gatt_cache, keyed by local controller and
//    the peer's identity address).  It keeps caches for BONDED peers only:
//    load_cache() of a peer that is not bonded is nullopt and save_cache()
//    ignores it (Part G 2.5.2: without a trusted relationship the cache is
//    valid for one connection only).  A bond's cache is dropped on unpair.
//  * resolve_database(), the rule for using a cached database:
//      1. Read the Database Hash (0x2B2A) with Read Using Characteristic
//         UUID (Part G 4.8.2; this also makes us change-aware at a
//         robust-caching server, Part G 2.5.2.1): at the handle the cached
//         database gives (one request), else over the whole range.
//      2. The peer has a hash: the cache is used when its stored hash is
//         equal; otherwise the entry is dropped and discovery runs.
//      3. The peer has no hash (Attribute Not Found): the cache is used only
//         when the cached database has Service Changed (0x2A05) -- the
//         server then indicates changes to its bonded client (Part G
//         2.5.2, 7.1); without Service Changed every connection discovers.
//      4. After a discovery the result is stored when the peer has a hash
//         or Service Changed (and the store keeps it only when bonded).
//      5. Client Supported Features (0x2B29), when present, is written with
//         bit 0 (Robust Caching) so the server tells us about changes with
//         Database Out Of Sync instead of letting us use stale handles.
//    A request answered Database Out Of Sync (0x12) during these steps
//    drops the entry and rediscovers (once).  A request of the caller's
//    answered 0x12 later: drop_if_out_of_sync(), then resolve_database()
//    again (the hash read makes us change-aware; discovery follows).
//  * watch_service_changed() subscribes to Service Changed indications;
//    one drops the entry (and tells the caller the affected range).
//  * `identity` is the peer's identity address: for a peer seen through a
//    resolvable private address, BondManager::identity_of() resolves it
//    with the stored IRKs.
#pragma once

#include <array>
#include <asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "src/att/client_store.hpp"
#include "src/att/gatt_client.hpp"

namespace bcms::att {

/// What discovery found on a peer (Part G 4.4-4.7).
struct RemoteDatabase {
  std::optional<DbHash> hash;  // 0x2B2A value as read, when the peer has one
  std::vector<ServiceInfo> services;
  std::vector<CharacteristicInfo> characteristics;  // ascending declaration handles
  std::vector<DescriptorInfo> descriptors;          // ascending handles

  /// The first characteristic with this UUID, or nullptr.
  [[nodiscard]] const CharacteristicInfo* find(Uuid characteristic) const;
  /// The CCCD (0x2902) of the characteristic whose value handle this is.
  [[nodiscard]] std::optional<std::uint16_t> cccd(std::uint16_t value_handle) const;
  /// The service containing `handle`, or nullptr.
  [[nodiscard]] const ServiceInfo* service_of(std::uint16_t handle) const;

  friend bool operator==(const RemoteDatabase&, const RemoteDatabase&) = default;
};

/// Versioned blob of a RemoteDatabase (format in discovery_cache.cpp).
bytes encode(const RemoteDatabase& db);
/// codec_errc::invalid_length / invalid_value / unsupported version for a
/// blob that is truncated, has trailing octets, or is not one we wrote.
expected<RemoteDatabase> decode_remote_database(byte_span blob);

/// Where cached databases are kept (gap::BondManager over SQLite).
class DiscoveryCacheStore {
 public:
  virtual ~DiscoveryCacheStore() = default;
  /// The blob stored for this identity, nullopt when none (or not bonded).
  virtual std::optional<bytes> load_cache(const Peer& identity) = 0;
  /// Replaces the blob (ignored for a peer that is not bonded).
  virtual void save_cache(const Peer& identity, byte_span blob) = 0;
  virtual void drop_cache(const Peer& identity) = 0;
};

struct ResolveStats {
  bool cache_hit = false;
  int requests = 0;            // ATT PDUs sent meanwhile (requests; a confirmation counts too)
  bool dropped = false;        // a stored entry was dropped (mismatch, corrupt, out of sync)
  bool features_written = false;  // Client Supported Features written
};

/// Reads the peer's Database Hash; equal to the cached one -> the cached
/// database, no discovery; otherwise full discovery, stored (see the rule
/// above).  Writes Client Supported Features (Robust Caching) when the
/// peer has it.  store == nullptr: always discovers, stores nothing.
asio::awaitable<expected<RemoteDatabase>> resolve_database(GattClient& client, DiscoveryCacheStore* store,
                                                           const Peer& identity, ResolveStats* stats = nullptr);

/// For a request that failed with `ec`: Database Out Of Sync (0x12, Part G
/// 2.5.2.1) drops the identity's entry and returns true (run
/// resolve_database() again before using any handle); otherwise false.
bool drop_if_out_of_sync(const std::error_code& ec, DiscoveryCacheStore* store, const Peer& identity);

/// Subscribes to Service Changed indications when `db` has the
/// characteristic and its CCCD (an empty Subscription otherwise).  An
/// indication drops the identity's cache entry and calls
/// on_changed(start, end) with the affected range.  `store` (may be null)
/// must outlive the subscription.
asio::awaitable<expected<GattClient::Subscription>> watch_service_changed(
    GattClient& client, const RemoteDatabase& db, DiscoveryCacheStore* store, const Peer& identity,
    std::function<void(std::uint16_t start, std::uint16_t end)> on_changed = {});

}  // namespace bcms::att
