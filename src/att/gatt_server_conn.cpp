// GattServer: connections, bonded clients' records, Service Changed and
// robust caching state (Core v5.4 Vol 3 Part G 2.5.2, 3.3.3.3, 7.1).
#include <spdlog/spdlog.h>

#include "src/att/gatt_server.hpp"

namespace bcms::att {
namespace {

using Range = std::pair<std::uint16_t, std::uint16_t>;

Range merge(const std::optional<Range>& a, Range b) {
  return a ? Range{std::min(a->first, b.first), std::max(a->second, b.second)} : b;
}

}  // namespace

std::uint16_t GattServer::service_changed_handle() const { return db_.find_type(Uuid(service_changed_uuid)); }

void GattServer::connect(ConnState& c) {
  conns_.insert(&c);
  if (!c.bonded || !store_) return;
  c.stored = store_->load(c.peer);
  if (!c.stored) {
    // Bonded, but no record yet (bonded by an older version): nothing is
    // owed; the record starts with this connection.
    c.stored = ClientRecord{hash(), false, 0, 0, {}};
  }
  // Known before encryption: what the signature checks and the robust
  // caching gate need (neither hands out anything of the bonded peer's).
  c.client_features = c.stored->features;
  c.next_sign_counter = std::max(c.next_sign_counter, c.stored->sign_counter);
  if (c.stored->db_hash != hash()) {
    // Part G 2.5.2.1: a bonded client that missed a change is
    // change-unaware and owed Service Changed for the whole database.
    c.change_aware = false;
    c.known_hash = c.stored->db_hash;
    c.service_changed_pending = Range{0x0001, 0xFFFF};
  }
  refresh(c);
}

void GattServer::refresh(ConnState& c) {
  if (c.restored || !c.bonded || !c.stored || c.level() < SecurityLevel::medium) return;
  // Encrypted: with a bonded peer the kernel only encrypts with the bond's
  // LTK (the peer proved it holds it), so its stored configuration is its.
  c.restored = true;
  if (c.stored->db_hash == hash()) {
    for (auto [h, v] : c.stored->cccds) {
      const Attribute* a = db_.find(h);
      if (a && a->kind == AttrKind::cccd && !c.cccd.count(h)) c.cccd[h] = v;
    }
  } else if (!c.stored->cccds.empty()) {
    stats_.stale_cccds_dropped += c.stored->cccds.size();
    spdlog::info("gatt: {}: {} stored CCCD(s) were for another database: dropped", c.peer.to_string(),
                 c.stored->cccds.size());
    c.stored->cccds.clear();
    save(c);
  }
  const std::uint16_t sc = service_changed_handle();
  if (c.stored->service_changed && sc) {
    for (const auto& a : db_.range(sc, 0xFFFF)) {
      if (a.kind == AttrKind::cccd && a.value_handle == sc) {
        if (!c.cccd.count(a.handle)) c.cccd[a.handle] = cccd_indicate;
        break;
      }
    }
  }
  if (c.service_changed_pending) send_service_changed(c);
}

void GattServer::bonded(ConnState& c) {
  if (c.bonded) return;
  c.bonded = true;
  c.stored = ClientRecord{};
  c.restored = true;  // what it configured on this (encrypted) link is its own
  save(c);
}

void GattServer::become_change_aware(ConnState& c) {
  if (c.change_aware) return;
  c.change_aware = true;
  c.out_of_sync_sent = false;
  save(c);
}

void GattServer::save(const ConnState& c) {
  if (!c.bonded || !store_) return;
  ClientRecord r = c.stored.value_or(ClientRecord{});
  r.db_hash = c.change_aware ? hash() : c.known_hash;
  r.features = c.client_features;
  r.sign_counter = c.next_sign_counter;
  if (c.restored) {
    // This link is encrypted with the bond's key: its configuration counts.
    r.cccds.clear();
    r.service_changed = false;
    const std::uint16_t sc = service_changed_handle();
    for (auto [h, v] : c.cccd) {
      if (v == 0) continue;
      const Attribute* a = db_.find(h);
      if (a && a->value_handle == sc && sc) r.service_changed = (v & cccd_indicate) != 0;
      else r.cccds[h] = v;
    }
  }
  store_->save(c.peer, r);
}

void GattServer::disconnect(ConnState& c) {
  conns_.erase(&c);
  c.prepared.clear();
  c.prepared_bytes = 0;
}

void GattServer::on_db_change(std::uint16_t start, std::uint16_t end) {
  hash_.reset();
  std::vector<ConnState*> conns(conns_.begin(), conns_.end());  // never call out while iterating
  for (ConnState* c : conns) {
    // Part G 2.5.2.1: every connected client is change-unaware until it
    // confirms the indication (or reads the new hash).
    if (c->change_aware) {
      c->known_hash = c->stored ? c->stored->db_hash : DbHash{};
      c->change_aware = false;
    }
    c->service_changed_pending = merge(c->service_changed_pending, Range{start, end});
    send_service_changed(*c);
  }
}

void GattServer::send_service_changed(ConnState& c) {
  // Vol 3 Part G 7.1: the value is the affected range, start then end.
  const std::uint16_t h = service_changed_handle();
  if (!h || !c.service_changed_pending) return;
  if (!(subscription(c, h) & cccd_indicate)) {
    // Not subscribed (yet: a bonded client's subscription comes back once
    // the link is encrypted).  Others rediscover on their own.
    if (!c.bonded) {
      c.service_changed_pending.reset();
      c.change_aware = true;
    }
    return;
  }
  auto [s, e] = *c.service_changed_pending;
  c.service_changed_pending.reset();
  if (!indicate_) return;
  bytes v;
  ByteWriter w(v);
  w.u16(s);
  w.u16(e);
  std::weak_ptr<int> alive = c.alive;
  ConnState* cp = &c;
  indicate_(c, h, std::move(v), [this, alive, cp](std::error_code ec) {
    if (!ec && !alive.expired() && !cp->service_changed_pending) become_change_aware(*cp);
  });
}

}  // namespace bcms::att
