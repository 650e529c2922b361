// Discovery cache: the RemoteDatabase codec and the rule for using a cached
// database (discovery_cache.hpp).
//
// Blob format, version 1 (all integers little-endian):
//   u8   version            1
//   u8   flags              bit 0: a Database Hash follows
//   [16] hash               only with flags bit 0 (0x2B2A value as read)
//   u16  service count,        then each: u16 start, u16 end, uuid
//   u16  characteristic count, then each: u16 declaration, u16 value handle,
//                                         u8 properties, uuid
//   u16  descriptor count,     then each: u16 handle, uuid
// uuid: u8 size (2 or 16), then the UUID in ATT form (little-endian).
// Nothing may follow.  Handles are checked as discovery guarantees them:
// non-zero, services start <= end, value handle after its declaration,
// each list strictly ascending; anything else is a blob we did not write.
#include "src/att/discovery_cache.hpp"

#include <spdlog/spdlog.h>

#include "protocol/att/att_error.hpp"
#include "protocol/codec_error.hpp"
#include "src/att/gatt_server.hpp"

namespace bcms::att {
namespace {

constexpr std::uint8_t blob_version = 1;
constexpr std::uint8_t flag_hash = 0x01;

void put_uuid(ByteWriter& w, const Uuid& u) {
  w.u8(static_cast<std::uint8_t>(u.att_size()));
  u.encode(w);
}

bool take_uuid(ByteReader& r, Uuid& u) {
  std::uint8_t n = 0;
  byte_span raw;
  if (!r.u8(n) || (n != 2 && n != 16) || !r.view(n, raw)) return false;
  auto parsed = Uuid::from_wire(raw);
  if (!parsed) return false;
  u = *parsed;
  return true;
}

/// A count that cannot exceed what the rest of the blob could hold.
bool take_count(ByteReader& r, std::size_t min_entry, std::uint16_t& n) {
  return r.u16(n) && std::size_t{n} * min_entry <= r.remaining();
}

bool is(const std::error_code& ec, att_errc e) { return ec == make_error_code(e); }

}  // namespace

const CharacteristicInfo* RemoteDatabase::find(Uuid characteristic) const {
  for (const auto& c : characteristics)
    if (c.uuid == characteristic) return &c;
  return nullptr;
}

const ServiceInfo* RemoteDatabase::service_of(std::uint16_t handle) const {
  for (const auto& s : services)
    if (s.start <= handle && handle <= s.end) return &s;
  return nullptr;
}

std::optional<std::uint16_t> RemoteDatabase::cccd(std::uint16_t value_handle) const {
  // The characteristic's descriptors lie after its value handle, up to the
  // next declaration or the end of its service (Part G 4.7.1).
  std::uint32_t end = 0xFFFF;
  if (const ServiceInfo* s = service_of(value_handle)) end = s->end;
  for (const auto& c : characteristics)
    if (c.declaration > value_handle) {
      end = std::min<std::uint32_t>(end, c.declaration - 1u);
      break;
    }
  for (const auto& d : descriptors)
    if (d.handle > value_handle && d.handle <= end && d.type == Uuid(0x2902)) return d.handle;
  return std::nullopt;
}

bytes encode(const RemoteDatabase& db) {
  bytes out;
  ByteWriter w(out);
  w.u8(blob_version);
  w.u8(db.hash ? flag_hash : 0);
  if (db.hash) w.raw(*db.hash);
  w.u16(static_cast<std::uint16_t>(db.services.size()));
  for (const auto& s : db.services) {
    w.u16(s.start);
    w.u16(s.end);
    put_uuid(w, s.uuid);
  }
  w.u16(static_cast<std::uint16_t>(db.characteristics.size()));
  for (const auto& c : db.characteristics) {
    w.u16(c.declaration);
    w.u16(c.value_handle);
    w.u8(c.properties);
    put_uuid(w, c.uuid);
  }
  w.u16(static_cast<std::uint16_t>(db.descriptors.size()));
  for (const auto& d : db.descriptors) {
    w.u16(d.handle);
    put_uuid(w, d.type);
  }
  return out;
}

expected<RemoteDatabase> decode_remote_database(byte_span blob) {
  ByteReader r(blob);
  RemoteDatabase db;
  std::uint8_t version = 0, flags = 0;
  if (!r.u8(version) || !r.u8(flags)) return fail(codec_errc::truncated);
  if (version != blob_version || (flags & ~flag_hash) != 0) return fail(codec_errc::invalid_value);
  if (flags & flag_hash) {
    DbHash h{};
    if (!r.array(h)) return fail(codec_errc::truncated);
    db.hash = h;
  }
  std::uint16_t n = 0;
  std::uint32_t last = 0;
  if (!take_count(r, 7, n)) return fail(codec_errc::invalid_length);
  for (std::uint16_t i = 0; i < n; ++i) {
    ServiceInfo s;
    if (!r.u16(s.start) || !r.u16(s.end) || !take_uuid(r, s.uuid)) return fail(codec_errc::invalid_length);
    if (s.start <= last || s.end < s.start) return fail(codec_errc::invalid_value);
    last = s.end;
    db.services.push_back(s);
  }
  last = 0;
  if (!take_count(r, 8, n)) return fail(codec_errc::invalid_length);
  for (std::uint16_t i = 0; i < n; ++i) {
    CharacteristicInfo c;
    if (!r.u16(c.declaration) || !r.u16(c.value_handle) || !r.u8(c.properties) || !take_uuid(r, c.uuid))
      return fail(codec_errc::invalid_length);
    if (c.declaration <= last || c.value_handle <= c.declaration) return fail(codec_errc::invalid_value);
    last = c.value_handle;
    db.characteristics.push_back(c);
  }
  last = 0;
  if (!take_count(r, 5, n)) return fail(codec_errc::invalid_length);
  for (std::uint16_t i = 0; i < n; ++i) {
    DescriptorInfo d;
    if (!r.u16(d.handle) || !take_uuid(r, d.type)) return fail(codec_errc::invalid_length);
    if (d.handle <= last) return fail(codec_errc::invalid_value);
    last = d.handle;
    db.descriptors.push_back(d);
  }
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  return db;
}

namespace {

/// Part G 4.4.1, 4.6.1, 4.7.1: every service, its characteristics, and the
/// descriptors between each value handle and the next declaration (or the
/// end of the service).
asio::awaitable<expected<RemoteDatabase>> discover_all(GattClient& client) {
  RemoteDatabase db;
  auto services = co_await client.discover_services();
  if (!services) co_return unexpected(services.error());
  db.services = std::move(*services);
  for (const auto& s : db.services) {
    auto chars = co_await client.discover_characteristics(s.start, s.end);
    if (!chars) co_return unexpected(chars.error());
    for (std::size_t i = 0; i < chars->size(); ++i) {
      const CharacteristicInfo& c = (*chars)[i];
      const std::uint16_t end = i + 1 < chars->size() ? static_cast<std::uint16_t>((*chars)[i + 1].declaration - 1) : s.end;
      db.characteristics.push_back(c);
      if (c.value_handle >= end) continue;
      auto descs = co_await client.discover_descriptors(static_cast<std::uint16_t>(c.value_handle + 1), end);
      if (!descs) co_return unexpected(descs.error());
      db.descriptors.insert(db.descriptors.end(), descs->begin(), descs->end());
    }
  }
  co_return db;
}

/// The Database Hash (Part G 7.3) read by type in [start, end]; nullopt
/// when there is none.  An error other than Attribute Not Found: `unusable`
/// is set (do not trust a cache for this peer now), except the ones the
/// caller must see (Database Out Of Sync, a bearer that ended).
asio::awaitable<expected<std::optional<DbHash>>> read_hash(GattClient& client, const Peer& identity,
                                                           std::uint16_t start, std::uint16_t end, bool& unusable) {
  auto rsp = co_await client.read_by_type(start, end, Uuid(database_hash_uuid));
  if (!rsp) {
    if (is(rsp.error(), att_errc::attribute_not_found)) co_return std::optional<DbHash>();
    if (rsp.error().category() != att_category() || is(rsp.error(), att_errc::database_out_of_sync))
      co_return unexpected(rsp.error());
    spdlog::warn("gatt cache: {}: reading the Database Hash failed ({}): discovering", identity.to_string(),
                 rsp.error().message());
    unusable = true;
    co_return std::optional<DbHash>();
  }
  if (rsp->empty() || rsp->front().second.size() != DbHash{}.size()) {
    spdlog::warn("gatt cache: {}: a Database Hash that is not 16 octets: discovering", identity.to_string());
    unusable = true;
    co_return std::optional<DbHash>();
  }
  DbHash h{};
  std::copy(rsp->front().second.begin(), rsp->front().second.end(), h.begin());
  co_return std::optional<DbHash>(h);
}

/// The stored entry, decoded; a blob that does not decode is dropped.
std::optional<RemoteDatabase> load(DiscoveryCacheStore& store, const Peer& identity, ResolveStats& st) {
  auto blob = store.load_cache(identity);
  if (!blob) return std::nullopt;
  auto db = decode_remote_database(*blob);
  if (db) return std::move(*db);
  spdlog::warn("gatt cache: {}: stored entry does not decode ({}, {} octets): dropped", identity.to_string(),
               db.error().message(), blob->size());
  store.drop_cache(identity);
  st.dropped = true;
  return std::nullopt;
}

asio::awaitable<expected<RemoteDatabase>> resolve_once(GattClient& client, DiscoveryCacheStore* store,
                                                       const Peer& identity, ResolveStats& st) {
  std::optional<RemoteDatabase> db = store ? load(*store, identity, st) : std::nullopt;
  bool unusable = false;
  expected<std::optional<DbHash>> hash = std::optional<DbHash>();
  if (const CharacteristicInfo* c = db ? db->find(Uuid(database_hash_uuid)) : nullptr) {
    // Where the cached database has it: one request.  Not there (moved or
    // gone) or refused: the whole range, as without a cache.
    hash = co_await read_hash(client, identity, c->value_handle, c->value_handle, unusable);
    if (!hash) co_return unexpected(hash.error());
    unusable = false;
  }
  if (!*hash) {
    hash = co_await read_hash(client, identity, 0x0001, 0xFFFF, unusable);
    if (!hash) co_return unexpected(hash.error());
  }

  if (db) {
    // With a hash: equal hashes. Without: Service Changed tells us of changes.
    const bool valid = !unusable && (*hash ? db->hash == *hash : !db->hash && db->find(Uuid(service_changed_uuid)));
    if (!valid) {
      spdlog::info("gatt cache: {}: the database changed (or cannot be trusted): cache dropped", identity.to_string());
      store->drop_cache(identity);
      st.dropped = true;
      db.reset();
    }
  }
  st.cache_hit = db.has_value();
  if (!db) {
    auto found = co_await discover_all(client);
    if (!found) co_return unexpected(found.error());
    db = std::move(*found);
    db->hash = *hash;
    if (store && !unusable && (db->hash || db->find(Uuid(service_changed_uuid)))) store->save_cache(identity, encode(*db));
  }

  // Part G 7.2: Robust Caching, so that a change we missed is answered
  // Database Out Of Sync rather than served from moved handles.
  if (const CharacteristicInfo* f = db->find(Uuid(client_features_uuid))) {
    bytes robust{client_feature_robust_caching};
    auto w = co_await client.write(f->value_handle, std::move(robust));
    if (w) {
      st.features_written = true;
    } else if (w.error().category() != att_category() || is(w.error(), att_errc::database_out_of_sync)) {
      co_return unexpected(w.error());
    } else {
      spdlog::warn("gatt cache: {}: writing Client Supported Features failed: {}", identity.to_string(),
                   w.error().message());
    }
  }
  co_return std::move(*db);
}

}  // namespace

asio::awaitable<expected<RemoteDatabase>> resolve_database(GattClient& client, DiscoveryCacheStore* store,
                                                           const Peer& identity, ResolveStats* stats) {
  ResolveStats st;
  const std::uint64_t sent = client.bearer().stats().pdus_out;
  auto db = co_await resolve_once(client, store, identity, st);
  if (!db && drop_if_out_of_sync(db.error(), store, identity)) {
    // Part G 2.5.2.1: our handles may be stale; the next request is served.
    st.dropped = true;
    db = co_await resolve_once(client, store, identity, st);
  }
  st.requests = static_cast<int>(client.bearer().stats().pdus_out - sent);
  if (stats) *stats = st;
  co_return db;
}

bool drop_if_out_of_sync(const std::error_code& ec, DiscoveryCacheStore* store, const Peer& identity) {
  if (!is(ec, att_errc::database_out_of_sync)) return false;
  spdlog::info("gatt cache: {}: Database Out Of Sync: cache dropped", identity.to_string());
  if (store) store->drop_cache(identity);
  return true;
}

asio::awaitable<expected<GattClient::Subscription>> watch_service_changed(
    GattClient& client, const RemoteDatabase& db, DiscoveryCacheStore* store, const Peer& identity,
    std::function<void(std::uint16_t start, std::uint16_t end)> on_changed) {
  const CharacteristicInfo* sc = db.find(Uuid(service_changed_uuid));
  const auto cccd = sc ? db.cccd(sc->value_handle) : std::nullopt;
  if (!cccd) co_return GattClient::Subscription{};
  GattClient::ValueHandler handler = [store, identity, cb = std::move(on_changed)](byte_span value) {
    // Part G 7.1: the affected range, start then end (a shorter value is
    // taken as the whole database).
    std::uint16_t start = 0x0001, end = 0xFFFF;
    if (value.size() >= 4) {
      ByteReader r(value);
      r.u16(start);
      r.u16(end);
    }
    spdlog::info("gatt cache: {}: Service Changed 0x{:04X}-0x{:04X}: cache dropped", identity.to_string(), start,
                 end);
    if (store) store->drop_cache(identity);
    if (cb) cb(start, end);
  };
  auto sub = co_await client.subscribe(sc->value_handle, *cccd, true, std::move(handler));
  if (!sub) co_return unexpected(sub.error());
  co_return std::move(*sub);
}

}  // namespace bcms::att
