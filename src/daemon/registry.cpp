#include "src/daemon/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>
#include <cstdio>

#include "gen/mgmt_types.hpp"
#include "protocol/ad/ad.hpp"
#include "src/gap/rpa.hpp"

namespace bcms::daemon {

using std::chrono::milliseconds;

namespace {

constexpr std::size_t kGaps = 16;       // gaps kept per device
constexpr std::size_t kGapsNeeded = 3;  // before an interval is shown
// Largest advertising interval (Vol 6 Part B 4.4.2.2.1: 10.24 s) plus advDelay.
constexpr milliseconds kMaxGap{10'240 + 10};

}  // namespace

struct Registry::Entry {
  Peer key;
  std::string address;  // key.addr written once (list() is the hot path)
  std::string name;
  bool name_complete = false;
  bool approved = false;
  bool paired = false;
  std::optional<std::int8_t> rssi;
  std::optional<Clock::time_point> last_seen;
  std::optional<Peer> current;  // the RPA last used, when the key is its identity
  std::deque<milliseconds> gaps;
  std::optional<milliseconds> interval;
  std::optional<std::string> registration_id;
  Clock::time_point registered_at{};
  std::uint64_t reports = 0;
  std::deque<DeviceReading> readings;
  bool stored = false;                 // a row exists
  Clock::time_point written_seen{};    // last_seen as last written

  [[nodiscard]] bool remembered() const noexcept { return approved || paired || registration_id.has_value(); }
};

bool Registry::WrittenOrder::operator()(const Peer& a, const Peer& b) const noexcept {
  for (int i = 5; i >= 0; --i)
    if (a.addr.b[static_cast<std::size_t>(i)] != b.addr.b[static_cast<std::size_t>(i)])
      return a.addr.b[static_cast<std::size_t>(i)] < b.addr.b[static_cast<std::size_t>(i)];
  return a.type < b.type;
}

Registry::Registry(asio::any_io_executor ex, storage::Storage& store, const Address& local, Options options, Now now)
    : ex_(std::move(ex)), store_(store), local_(local), opts_(options), now_(std::move(now)) {}

Registry::~Registry() {
  subs_.clear();
  if (auto r = flush(); !r) spdlog::error("registry: final write failed: {}", r.error().text);
  alive_.reset();
}

expected<void> Registry::load() {
  auto rows = store_.devices(local_);
  if (!rows) return unexpected(rows.error());
  for (const auto& d : *rows) {
    Entry e;
    e.key = d.peer;
    e.address = d.peer.addr.to_string();
    e.name = d.name;
    e.approved = d.approved;
    e.paired = d.paired;
    e.rssi = d.rssi;
    if (d.last_seen.time_since_epoch().count() != 0) e.last_seen = Clock::time_point(d.last_seen);
    if (d.adv_interval_ms) e.interval = milliseconds(d.adv_interval_ms);
    e.registration_id = d.registration_id;
    e.registered_at = Clock::time_point(d.registered_at);
    e.stored = true;
    e.written_seen = e.last_seen.value_or(Clock::time_point{});
    entries_[d.peer] = std::move(e);
  }
  auto mode = store_.setting("mode");
  if (!mode) return unexpected(mode.error());
  if (*mode) {
    if (auto m = parse_mode(**mode)) mode_ = *m;
    else spdlog::warn("registry: stored mode '{}' is not any/approved: using approved", **mode);
  }
  auto irks = store_.irks(local_);
  if (!irks) return unexpected(irks.error());
  for (const auto& k : *irks) irks_.emplace_back(k.peer, k.value);
  spdlog::info("registry: {} remembered device(s), mode {}, {} IRK(s)", entries_.size(), to_string(mode_),
               irks_.size());
  return {};
}

void Registry::attach(mgmt::MgmtChannel& ch, std::uint16_t index) {
  subs_.clear();
  std::weak_ptr<int> alive = alive_;
  subs_.push_back(ch.subscribe<mgmt::DeviceFoundEvent>(index, [this, alive](std::uint16_t, const auto& ev) {
    if (!alive.expired()) report(Peer{ev.address, ev.address_type}, ev.rssi, ev.eir_data);
  }));
  subs_.push_back(
      ch.subscribe<mgmt::NewIdentityResolvingKeyEvent>(index, [this, alive](std::uint16_t, const auto& ev) {
        if (!alive.expired()) identity_resolved(ev.random_address, Peer{ev.address, ev.address_type}, ev.value);
      }));
}

void Registry::detach() { subs_.clear(); }

// ---------------------------------------------------------------- lookups

Registry::Entry* Registry::lookup(const Peer& peer) {
  auto it = entries_.find(peer);
  return it == entries_.end() ? nullptr : &it->second;
}

const Registry::Entry* Registry::lookup(const Peer& peer) const {
  auto it = entries_.find(peer);
  return it == entries_.end() ? nullptr : &it->second;
}

std::optional<Peer> Registry::find(const Address& address) const {
  if (auto it = rpa_to_identity_.find(address); it != rpa_to_identity_.end() && entries_.contains(it->second))
    return it->second;
  // Keys are ordered by address first: the first key with this address.
  auto it = entries_.lower_bound(Peer{address, AddressType::bredr});
  if (it != entries_.end() && it->first.addr == address) return it->first;
  return std::nullopt;
}

Registry::Entry& Registry::touch(const Peer& key) {
  auto [it, inserted] = entries_.try_emplace(key);
  if (inserted) {
    it->second.key = key;
    it->second.address = key.addr.to_string();
    ++stats_.devices_new;
    publish(Event::Kind::device_new, key);
    if (entries_.size() > opts_.max_tracked) {
      evict(key);
      it = entries_.find(key);
    }
  }
  return it->second;
}

void Registry::evict(const Peer& keep) {
  // Drop the devices not remembered and not seen for longest, down to 90%.
  std::vector<std::pair<Clock::time_point, Peer>> candidates;
  for (const auto& [k, e] : entries_)
    if (!e.remembered() && k != keep) candidates.emplace_back(e.last_seen.value_or(Clock::time_point{}), k);
  std::sort(candidates.begin(), candidates.end());
  const std::size_t target = opts_.max_tracked - opts_.max_tracked / 10;
  for (const auto& [seen, k] : candidates) {
    if (entries_.size() <= target) break;
    entries_.erase(k);
    ++stats_.evicted;
  }
}

// ---------------------------------------------------------------- inputs

void Registry::report(const Peer& peer, std::int8_t rssi, byte_span eir) {
  ++stats_.reports;
  Peer key = peer;
  std::optional<Peer> current;
  if (gap::is_resolvable_private(peer)) {
    if (auto it = rpa_to_identity_.find(peer.addr); it != rpa_to_identity_.end()) {
      key = it->second;
      current = peer;
    } else {
      for (const auto& [identity, irk] : irks_) {
        if (!gap::rpa_matches(irk, peer.addr)) continue;
        rpa_to_identity_[peer.addr] = identity;
        key = identity;
        current = peer;
        break;
      }
    }
  }
  Entry& e = touch(key);
  const auto now = now_();
  if (e.last_seen) {
    const auto gap = std::chrono::duration_cast<milliseconds>(now - *e.last_seen);
    if (gap > milliseconds(0) && gap <= kMaxGap) {
      e.gaps.push_back(gap);
      if (e.gaps.size() > kGaps) e.gaps.pop_front();
      if (e.gaps.size() >= kGapsNeeded) e.interval = *std::min_element(e.gaps.begin(), e.gaps.end());
    }
  }
  e.last_seen = now;
  e.rssi = rssi;
  ++e.reports;
  if (current) e.current = current;
  if (!eir.empty()) {
    // A complete name wins over a shortened one (a device may send the
    // short one in advertisements and the complete one in scan responses).
    const auto ad = ad::parse_ad(eir);
    if (const auto* n = ad.name(); n && !n->name.empty() && (n->complete || !e.name_complete)) {
      e.name = n->name;
      e.name_complete = n->complete;
    }
  }
  // Name, RSSI and last seen of a remembered device: written at most once
  // per interval, never per report.
  if (e.remembered() && now - e.written_seen >= opts_.last_seen_write_interval) mark(e);
}

void Registry::identity_resolved(const Address& rpa, const Peer& identity, const Key128& irk) {
  auto known = std::find_if(irks_.begin(), irks_.end(), [&](const auto& p) { return p.first == identity; });
  if (known != irks_.end()) known->second = irk;
  else irks_.emplace_back(identity, irk);
  std::vector<Peer> merged;
  for (const auto& [k, e] : entries_) {
    if (k == identity || !gap::is_resolvable_private(k)) continue;
    if (k.addr == rpa || gap::rpa_matches(irk, k.addr)) merged.push_back(k);
  }
  if (rpa != Address{}) rpa_to_identity_[rpa] = identity;
  for (const auto& k : merged) merge(k, identity);
}

void Registry::merge(const Peer& from, const Peer& into) {
  auto node = entries_.extract(from);
  if (node.empty()) return;
  Entry src = std::move(node.mapped());
  rpa_to_identity_[from.addr] = into;
  if (src.stored) dirty_[from] = false;  // its row goes; the identity's row carries it
  auto [it, inserted] = entries_.try_emplace(into);
  Entry& dst = it->second;
  if (inserted) {
    dst.key = into;
    dst.address = into.addr.to_string();
  }
  const bool src_newer = !dst.last_seen || (src.last_seen && *src.last_seen > *dst.last_seen);
  dst.approved = dst.approved || src.approved;
  dst.paired = dst.paired || src.paired;
  if (src_newer) {
    if (!src.name.empty()) dst.name = src.name;
    dst.rssi = src.rssi;
    dst.last_seen = src.last_seen;
    dst.current = from;
  } else if (dst.name.empty()) {
    dst.name = src.name;
  }
  if (!dst.interval) dst.interval = src.interval;
  if (!dst.registration_id) {
    dst.registration_id = src.registration_id;
    dst.registered_at = src.registered_at;
  }
  dst.reports += src.reports;
  for (auto& r : src.readings) {
    r.device = into;
    dst.readings.push_back(std::move(r));
  }
  std::stable_sort(dst.readings.begin(), dst.readings.end(),
                   [](const DeviceReading& a, const DeviceReading& b) { return a.at < b.at; });
  while (dst.readings.size() > opts_.readings_per_device) dst.readings.pop_front();
  for (auto& [rpa, id] : rpa_to_identity_)
    if (id == from) id = into;
  ++stats_.rpas_merged;
  mark(dst);
  if (!dst.remembered()) schedule();  // the deleted row, if any
  publish(Event::Kind::identity_resolved, into, from.addr.to_string());
}

void Registry::set_paired(const Peer& peer, bool paired) {
  if (!paired && !lookup(peer)) return;
  Entry& e = touch(peer);
  if (e.paired == paired && (!paired || e.approved)) return;
  e.paired = paired;
  if (paired) e.approved = true;
  mark(e);
  publish(paired ? Event::Kind::device_paired : Event::Kind::device_unpaired, peer);
}

void Registry::add_reading(const Peer& peer, const sensor::Reading& r, Clock::time_point at) {
  if (!accepts_readings_from(peer)) {
    ++stats_.readings_refused;
    return;
  }
  const Peer key = find(peer.addr).value_or(peer);
  Entry& e = touch(key);
  e.readings.push_back(DeviceReading{key, r, at});
  while (e.readings.size() > opts_.readings_per_device) e.readings.pop_front();
  ++stats_.readings;
  char value[32];
  std::snprintf(value, sizeof value, "%g", r.value);
  publish(Event::Kind::reading, key,
          std::string(r.type) + " " + std::string(r.field) + "=" + (r.text.empty() ? std::string(value) : r.text));
}

void Registry::set_registration(const Peer& peer, std::string id, Clock::time_point checked) {
  Entry* e = lookup(find(peer.addr).value_or(peer));
  if (!e) return;
  e->registration_id = std::move(id);
  e->registered_at = checked;
  mark(*e);
}

// ---------------------------------------------------------------- queries

DeviceInfo Registry::to_info(const Entry& e) const {
  DeviceInfo d;
  d.address = e.address;
  d.name = e.name;
  d.approved = e.approved || e.paired;
  d.paired = e.paired;
  d.address_type = e.key.type;
  d.rssi = e.rssi;
  d.last_seen = e.last_seen;
  d.adv_interval = e.interval;
  if (e.current && e.current->addr != e.key.addr) d.current_address = e.current->addr.to_string();
  d.registration_id = e.registration_id;
  d.reports = e.reports;
  return d;
}

std::optional<DeviceInfo> Registry::info(const Peer& peer) const {
  const Entry* e = lookup(peer);
  if (!e) return std::nullopt;
  return to_info(*e);
}

std::optional<Peer> Registry::reach(const Peer& peer) const {
  const Entry* e = lookup(peer);
  if (!e) return std::nullopt;
  // The kernel resolves RPAs only for the IRKs it holds (bonded devices).
  if (e->current && !e->paired) return e->current;
  return e->key;
}

std::vector<DeviceInfo> Registry::list(bool only_approved) const {
  const auto since = now_() - opts_.list_window;
  std::vector<DeviceInfo> out;
  out.reserve(entries_.size());
  for (const auto& [k, e] : entries_) {
    const bool approved = e.approved || e.paired;
    if (only_approved ? approved : (approved || (e.last_seen && *e.last_seen >= since))) out.push_back(to_info(e));
  }
  return out;  // by written address: the map's order
}

std::vector<DeviceReading> Registry::readings(const Peer& peer, std::size_t limit) const {
  const Entry* e = lookup(peer);
  if (!e) return {};
  const std::size_t n = std::min(limit, e->readings.size());
  return {e->readings.end() - static_cast<std::ptrdiff_t>(n), e->readings.end()};
}

bool Registry::accepts_readings_from(const Peer& peer) const {
  if (mode_ == Mode::any) return true;
  const auto key = find(peer.addr);
  const Entry* e = key ? lookup(*key) : nullptr;
  return e && (e->approved || e->paired);
}

// ---------------------------------------------------------------- decisions

expected<void, Error> Registry::approve(const Peer& peer) {
  Entry* e = lookup(peer);
  if (!e) return unexpected(Error(errc::device_not_found));
  if (e->approved || e->paired) return unexpected(Error(errc::already_approved));
  e->approved = true;
  mark(*e);
  publish(Event::Kind::device_approved, peer);
  return {};
}

expected<void, Error> Registry::remove(const Peer& peer) {
  Entry* e = lookup(peer);
  if (!e) return unexpected(Error(errc::device_not_found));
  if (e->paired) return unexpected(Error(errc::remove_paired));
  if (e->stored) dirty_[peer] = false;
  else dirty_.erase(peer);
  entries_.erase(peer);
  std::erase_if(rpa_to_identity_, [&](const auto& kv) { return kv.second == peer; });
  schedule();
  publish(Event::Kind::device_removed, peer);
  return {};
}

void Registry::revoke(const Peer& peer) {
  Entry* e = lookup(peer);
  if (!e || !e->approved) return;
  e->approved = false;
  mark(*e);
}

void Registry::set_mode(Mode m) {
  if (m == mode_) return;
  mode_ = m;
  mode_dirty_ = true;
  schedule();
  publish(Event::Kind::mode_changed, Peer{}, std::string(to_string(m)));
}

// ---------------------------------------------------------------- persistence

void Registry::mark(Entry& e) {
  if (e.remembered()) dirty_[e.key] = true;
  else if (e.stored) dirty_[e.key] = false;
  else return;
  schedule();
}

void Registry::schedule() {
  if (flush_posted_) return;
  flush_posted_ = true;
  std::weak_ptr<int> alive = alive_;
  asio::post(ex_, [this, alive] {
    if (!alive.expired()) (void)flush();
  });
}

expected<void, Error> Registry::flush() {
  flush_posted_ = false;
  if (dirty_.empty() && !mode_dirty_) return {};
  std::vector<storage::Device> upserts;
  std::vector<Peer> removals;
  for (const auto& [k, write] : dirty_) {
    const Entry* e = write ? lookup(k) : nullptr;
    if (!e || !e->remembered()) {
      removals.push_back(k);
      continue;
    }
    storage::Device d;
    d.peer = k;
    d.name = e->name;
    d.approved = e->approved;
    d.paired = e->paired;
    d.last_seen = std::chrono::time_point_cast<std::chrono::seconds>(e->last_seen.value_or(Clock::time_point{}));
    d.rssi = e->rssi;
    d.adv_interval_ms = e->interval ? static_cast<std::uint32_t>(e->interval->count()) : 0;
    d.registration_id = e->registration_id;
    d.registered_at = std::chrono::time_point_cast<std::chrono::seconds>(e->registered_at);
    upserts.push_back(std::move(d));
  }
  auto failed = [&](std::error_code ec) -> expected<void, Error> {
    ++stats_.storage_errors;
    Error err(make_error_code(errc::storage_failed),
              "Storage write failed: " + ec.message() + " (" + store_.last_error_detail() + ")");
    spdlog::error("registry: {}", err.text);
    last_flush_error_ = err;
    return unexpected(err);
  };
  auto tx = store_.transaction();
  if (!tx) return failed(tx.error());
  if (auto r = store_.store_devices(local_, upserts, removals); !r) return failed(r.error());
  if (mode_dirty_)
    if (auto r = store_.set_setting("mode", to_string(mode_)); !r) return failed(r.error());
  if (auto r = tx->commit(); !r) return failed(r.error());
  for (const auto& d : upserts) {
    Entry* e = lookup(d.peer);
    e->stored = true;
    e->written_seen = e->last_seen.value_or(Clock::time_point{});
  }
  for (const auto& k : removals)
    if (Entry* e = lookup(k)) e->stored = false;
  ++stats_.commits;
  stats_.rows_written += upserts.size() + removals.size();
  dirty_.clear();
  mode_dirty_ = false;
  last_flush_error_.reset();
  return {};
}

asio::awaitable<expected<void, Error>> Registry::commit() {
  if (dirty_.empty() && !mode_dirty_) co_return expected<void, Error>{};
  schedule();
  // The batch was posted before this continuation: the loop runs it first.
  co_await asio::post(ex_, asio::use_awaitable);
  if (!dirty_.empty() || mode_dirty_) co_return unexpected(last_flush_error_.value_or(Error(errc::storage_failed)));
  co_return expected<void, Error>{};
}

void Registry::publish(Event::Kind kind, const Peer& peer, std::string text) {
  Event ev;
  ev.kind = kind;
  if (peer.addr != Address{}) ev.address = peer.addr.to_string();
  ev.text = std::move(text);
  ev.at = now_();
  events_.publish(ev);
}

}  // namespace bcms::daemon
