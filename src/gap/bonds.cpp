#include "src/gap/bonds.hpp"

#include <spdlog/spdlog.h>

#include <asio/post.hpp>

#include "gen/mgmt_types.hpp"
#include "src/gap/rpa.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::gap {

using namespace bcms::mgmt;

BondManager::BondManager(MgmtChannel& ch, std::uint16_t index, storage::Storage& store, const Address& local)
    : ch_(ch), index_(index), store_(store), local_(local) {
  std::weak_ptr<int> alive = alive_;
  auto on = [&]<class Ev>(void (BondManager::*fn)(const Ev&)) {
    subs_.push_back(ch_.subscribe<Ev>(index_, [this, alive, fn](std::uint16_t, const Ev& ev) {
      if (!alive.expired()) (this->*fn)(ev);
    }));
  };
  on(&BondManager::on_ltk);
  on(&BondManager::on_irk);
  on(&BondManager::on_csrk);
  on(&BondManager::on_unpair);
  refresh();
}

BondManager::~BondManager() {
  flush();
  alive_.reset();
}

void BondManager::refresh() {
  bonded_.clear();
  if (auto ltks = store_.ltks(local_)) {
    for (const auto& k : *ltks) bonded_.insert(k.peer);
  } else {
    ++stats_.storage_errors;
    spdlog::error("bonds: reading LTKs failed: {} ({})", ltks.error().message(), store_.last_error_detail());
  }
}

bool BondManager::check(const expected<void>& r, const char* what) {
  if (r) return true;
  ++stats_.storage_errors;
  spdlog::error("bonds: storing {} failed: {} ({})", what, r.error().message(), store_.last_error_detail());
  return false;
}

asio::awaitable<std::error_code> BondManager::load_into_kernel() {
  auto ltks = store_.ltks(local_);
  if (!ltks) co_return ltks.error();
  auto irks = store_.irks(local_);
  if (!irks) co_return irks.error();

  // mgmt-api.txt "Load Long Term Keys Command": identity addresses only
  // (LE public, or LE random static: the two top bits set).
  auto identity = [](const storage::Peer& p) {
    return p.type == AddressType::le_public || (p.type == AddressType::le_random && (p.addr.b[5] & 0xC0) == 0xC0);
  };
  LoadLongTermKeys l;
  for (const auto& k : *ltks) {
    if (!identity(k.peer)) continue;
    l.keys.push_back({k.peer.addr, k.peer.type, k.key_type, static_cast<std::uint8_t>(k.central ? 1 : 0),
                      k.enc_size, k.ediv, k.rand, k.value});
  }
  auto r1 = co_await call(ch_, l, index_);
  if (!r1) co_return r1.error();
  LoadIdentityResolvingKeys i;
  for (const auto& k : *irks)
    if (identity(k.peer)) i.keys.push_back({k.peer.addr, k.peer.type, k.value});
  auto r2 = co_await call(ch_, i, index_);
  if (!r2) co_return r2.error();
  refresh();
  spdlog::info("hci{}: loaded {} long term key(s) and {} identity resolving key(s) of {} bonded peer(s)", index_,
               l.keys.size(), i.keys.size(), bonded_.size());
  co_return std::error_code{};
}

bool BondManager::bonded(const Peer& peer) const { return bonded_.count(peer) != 0; }

Peer BondManager::identity_of(const Peer& addr) const {
  if (!is_resolvable_private(addr)) return addr;
  // From storage, the one list of IRKs (a few rows, once per connection).
  auto irks = store_.irks(local_);
  if (!irks) {
    spdlog::error("bonds: reading IRKs failed: {} ({})", irks.error().message(), store_.last_error_detail());
    return addr;
  }
  for (const auto& k : *irks)
    if (rpa_matches(k.value, addr.addr)) return k.peer;
  return addr;
}

std::vector<storage::Peer> BondManager::peers() const { return {bonded_.begin(), bonded_.end()}; }

std::optional<BondManager::Csrk> BondManager::remote_csrk(const Peer& peer) {
  auto keys = store_.csrks(local_);
  if (!keys) return std::nullopt;
  for (const auto& k : *keys)
    if (k.peer == peer && k.remote()) return Csrk{k.value, (k.key_type & 0x02) != 0};
  return std::nullopt;
}

void BondManager::stored(const storage::Peer& peer) {
  const bool first = bonded_.insert(peer).second;
  if (first) {
    auto dev = store_.device(local_, peer);
    storage::Device d = dev && *dev ? **dev : storage::Device{peer, {}, false, false, {}};
    d.paired = true;
    d.last_seen = std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
    check(store_.upsert_device(local_, d), "device");
    spdlog::info("hci{}: bonded with {}", index_, peer.addr.to_string());
  }
  if (on_bonded_) on_bonded_(peer, first);
}

void BondManager::on_ltk(const NewLongTermKeyEvent& ev) {
  if (!ev.store_hint) {
    ++stats_.not_stored;
    return;
  }
  const storage::Peer peer{ev.address, ev.address_type};
  storage::LongTermKey k{peer, ev.key_type, ev.central != 0, ev.encryption_size, ev.enc_diversifier,
                         ev.random_number, ev.value};
  if (!check(store_.store_ltk(local_, k), "LTK")) return;
  ++stats_.ltks_stored;
  stored(peer);
}

void BondManager::on_irk(const NewIdentityResolvingKeyEvent& ev) {
  if (!ev.store_hint) {
    ++stats_.not_stored;
    return;
  }
  const storage::Peer peer{ev.address, ev.address_type};
  if (!check(store_.store_irk(local_, storage::IdentityResolvingKey{peer, ev.value}), "IRK")) return;
  ++stats_.irks_stored;
  stored(peer);
}

void BondManager::on_csrk(const NewSignatureResolvingKeyEvent& ev) {
  if (!ev.store_hint) {
    ++stats_.not_stored;
    return;
  }
  const storage::Peer peer{ev.address, ev.address_type};
  if (!check(store_.store_csrk(local_, storage::SignatureKey{peer, ev.type, ev.value}), "CSRK")) return;
  ++stats_.csrks_stored;
  stored(peer);
}

void BondManager::on_unpair(const DeviceUnpairedEvent& ev) {
  const storage::Peer peer{ev.address, ev.address_type};
  dirty_.erase(peer);
  check(store_.remove_bond(local_, peer), "unpair");
  bonded_.erase(peer);
  spdlog::info("hci{}: {} unpaired: keys and CCCDs removed", index_, peer.addr.to_string());
  if (on_unpaired_) on_unpaired_(peer);
}

std::optional<att::ClientRecord> BondManager::load(const Peer& peer) {
  if (auto it = dirty_.find(peer); it != dirty_.end()) return it->second;
  auto row = store_.gatt_client(local_, peer);
  if (!row) {
    ++stats_.storage_errors;
    spdlog::error("bonds: reading the GATT record of {} failed: {}", peer.to_string(), row.error().message());
    return std::nullopt;
  }
  if (!*row) return std::nullopt;
  att::ClientRecord r;
  r.db_hash = (*row)->db_hash;
  r.service_changed = (*row)->service_changed;
  r.features = (*row)->features;
  r.sign_counter = (*row)->sign_counter;
  for (const auto& c : (*row)->cccds) r.cccds[c.handle] = c.value;
  return r;
}

void BondManager::save(const Peer& peer, const att::ClientRecord& record) {
  if (!bonded(peer)) return;  // only bonded clients have a record
  dirty_[peer] = record;
  if (flush_posted_) return;
  flush_posted_ = true;
  std::weak_ptr<int> alive = alive_;
  asio::post(ch_.get_executor(), [this, alive] {
    if (!alive.expired()) flush();
  });
}

void BondManager::flush() {
  flush_posted_ = false;
  if (dirty_.empty()) return;
  std::vector<storage::GattClient> rows;
  for (const auto& [peer, r] : dirty_) {
    storage::GattClient c;
    c.peer = peer;
    c.db_hash = r.db_hash;
    c.service_changed = r.service_changed;
    c.features = r.features;
    c.sign_counter = r.sign_counter;
    for (auto [h, v] : r.cccds) c.cccds.push_back({h, v});
    rows.push_back(std::move(c));
  }
  if (!check(store_.store_gatt_clients(local_, rows), "GATT client records")) return;  // kept dirty: written with the next save, or by stop()
  ++stats_.client_commits;
  stats_.client_records += rows.size();
  dirty_.clear();
}

// ------------------------------------------------------------ discovery cache

std::optional<bytes> BondManager::load_cache(const Peer& identity) {
  if (!bonded(identity)) return std::nullopt;
  auto blob = store_.gatt_cache(local_, identity);
  if (blob) return std::move(*blob);
  ++stats_.storage_errors;
  spdlog::error("bonds: reading the discovery cache of {} failed: {} ({})", identity.to_string(),
                blob.error().message(), store_.last_error_detail());
  return std::nullopt;
}

void BondManager::save_cache(const Peer& identity, byte_span blob) {
  if (!bonded(identity)) return;  // Part G 2.5.2: valid across connections only with a bond
  if (check(store_.store_gatt_cache(local_, identity, blob), "discovery cache")) ++stats_.caches_stored;
}

void BondManager::drop_cache(const Peer& identity) {
  if (check(store_.remove_gatt_cache(local_, identity), "discovery cache removal")) ++stats_.caches_dropped;
}

}  // namespace bcms::gap
