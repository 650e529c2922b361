#include "src/gap/bonds.hpp"

#include <spdlog/spdlog.h>

#include "gen/mgmt_types.hpp"
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

BondManager::~BondManager() { alive_.reset(); }

void BondManager::refresh() {
  bonded_.clear();
  if (auto ltks = store_.ltks(local_)) {
    for (const auto& k : *ltks) bonded_.insert({k.peer.addr, k.peer.type});
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

bool BondManager::bonded(const Address& peer, AddressType type) const { return bonded_.count({peer, type}) != 0; }

std::vector<storage::Peer> BondManager::peers() const {
  std::vector<storage::Peer> out;
  for (const auto& [a, t] : bonded_) out.push_back({a, t});
  return out;
}

std::optional<storage::Key128> BondManager::remote_csrk(const Address& peer, AddressType type) {
  auto keys = store_.csrks(local_);
  if (!keys) return std::nullopt;
  for (const auto& k : *keys)
    if (k.peer == storage::Peer{peer, type} && k.remote()) return k.value;
  return std::nullopt;
}

void BondManager::stored(const storage::Peer& peer) {
  const bool first = bonded_.insert({peer.addr, peer.type}).second;
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
  check(store_.remove_bond(local_, peer), "unpair");
  bonded_.erase({peer.addr, peer.type});
  spdlog::info("hci{}: {} unpaired: keys and CCCDs removed", index_, peer.addr.to_string());
  if (on_unpaired_) on_unpaired_(peer);
}

std::map<std::uint16_t, std::uint16_t> BondManager::load(const Address& peer, AddressType type) {
  std::map<std::uint16_t, std::uint16_t> out;
  auto rows = store_.cccds(local_, storage::Peer{peer, type});
  if (!rows) {
    ++stats_.storage_errors;
    return out;
  }
  for (const auto& c : *rows) out[c.handle] = c.value;
  return out;
}

void BondManager::store(const Address& peer, AddressType type, std::uint16_t handle, std::uint16_t value) {
  check(store_.store_cccd(local_, storage::Peer{peer, type}, handle, value), "CCCD");
}

}  // namespace bcms::gap
