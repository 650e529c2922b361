// GattServer: write procedures (Core v5.4 Vol 3 Part F 3.4.5-3.4.6,
// Part G 4.9-4.10), CCCDs (Part G 3.3.3.3) and the Generic Access /
// Generic Attribute services (Part C 12, Part G 7).
#include "src/att/gatt_server.hpp"

#include "src/att/gatt_seq.hpp"
#include "src/att/signing.hpp"

namespace bcms::att {

WriteResult GattServer::write_cccd(Attribute& a, ConnState& c, byte_span value) {
  // Vol 3 Part G 3.3.3.3: two octets; only the bits the characteristic's
  // properties allow (anything else: Value Not Allowed).
  if (value.size() != 2) return tl::unexpected(att_errc::invalid_attribute_value_length);
  const std::uint16_t v = static_cast<std::uint16_t>(value[0] | (value[1] << 8));
  std::uint16_t allowed = 0;
  if (a.char_props & prop::notify) allowed |= cccd_notify;
  if (a.char_props & prop::indicate) allowed |= cccd_indicate;
  if (v & ~allowed) return tl::unexpected(att_errc::value_not_allowed);
  c.cccd[a.handle] = v;
  // Persisted only from a link encrypted with the bond's key (refresh()).
  if (c.restored) save(c);
  if ((v & cccd_indicate) && c.service_changed_pending) send_service_changed(c);
  return {};
}

WriteResult GattServer::write_client_features(ConnState& c, std::uint16_t offset, byte_span value) {
  // Vol 3 Part G 7.2: a client shall not clear a bit it has set.
  if (offset != 0) return tl::unexpected(att_errc::invalid_offset);
  if (value.empty()) return tl::unexpected(att_errc::invalid_attribute_value_length);
  const std::uint8_t v = static_cast<std::uint8_t>(value[0] & client_features_known);
  if ((c.client_features & ~v) != 0) return tl::unexpected(att_errc::value_not_allowed);
  if (v != c.client_features) {
    c.client_features = v;
    save(c);
  }
  return {};
}

std::optional<att_errc> GattServer::check_write_value(const Attribute& a, const ConnState& c, std::uint16_t offset,
                                                      std::size_t len) const {
  if (offset + len > max_value_len) return att_errc::invalid_attribute_value_length;
  if (a.kind == AttrKind::cccd) {
    if (offset != 0) return att_errc::invalid_offset;
    if (len != 2) return att_errc::invalid_attribute_value_length;
    return std::nullopt;
  }
  if (a.type == Uuid(client_features_uuid)) return offset != 0 ? std::optional(att_errc::invalid_offset) : std::nullopt;
  if (a.check_write) return a.check_write(AccessRequest{const_cast<ConnState&>(c), a.handle, offset}, len);
  if (!a.write && offset > a.value.size()) return att_errc::invalid_offset;
  return std::nullopt;
}

void GattServer::write_value(Attribute& a, ConnState& c, std::uint16_t offset, byte_span value, WriteDone done) {
  if (a.kind == AttrKind::cccd) {
    if (offset != 0) return done(tl::unexpected(att_errc::invalid_offset));
    return done(write_cccd(a, c, value));
  }
  if (a.type == Uuid(client_features_uuid)) return done(write_client_features(c, offset, value));
  if (a.write) {
    WriteHandler h = a.write;  // the attribute may go away while the handler runs
    return h(AccessRequest{c, a.handle, offset}, value, std::move(done));
  }
  // A static value: the write replaces everything from `offset` on.
  if (offset > a.value.size()) return done(tl::unexpected(att_errc::invalid_offset));
  if (offset + value.size() > max_value_len) return done(tl::unexpected(att_errc::invalid_attribute_value_length));
  a.value.resize(offset);
  a.value.insert(a.value.end(), value.begin(), value.end());
  done({});
}

void GattServer::write(std::uint16_t handle, const bytes& value, ConnState& c, Respond r) {
  const bool command = !r;
  constexpr auto op = static_cast<std::uint8_t>(Opcode::write_req);
  auto deny = [&](Refusal why) {
    if (command) ++stats_.dropped_commands;  // 3.4.5.3: no response, ever
    else refuse(r, op, handle, why);
  };
  Attribute* a = db_.find(handle);
  if (!a) return deny({att_errc::invalid_handle});
  if (auto e = check(*a, c, Access::write)) return deny(*e);
  if (value.size() > max_value_len) return deny({att_errc::invalid_attribute_value_length});
  std::weak_ptr<int> alive = c.alive;
  write_value(*a, c, 0, value, [this, alive, handle, command, r = std::move(r)](WriteResult res) {
    if (alive.expired()) return;
    if (command) {
      if (!res) ++stats_.dropped_commands;
      return;
    }
    if (!res) return error(r, op, handle, res.error());
    answer(r, op, WriteRsp{});
  });
}

void GattServer::signed_write(const SignedWriteCmd& q, ConnState& c) {
  // 3.4.5.4 / Vol 3 Part C 10.4.2: only on characteristics with the
  // Authenticated Signed Writes property, with the peer's CSRK, and a
  // SignCounter never seen before.  Failures are silent (a command).
  // A valid signature authenticates the data as an encrypted link would
  // (Vol 3 Part C 10.4.1), with MITM protection only when the CSRK came
  // from authenticated pairing; everything else the attribute asks for
  // (write permission, authorization) still applies.
  Attribute* a = db_.find(q.handle);
  const SecurityLevel signed_level = c.csrk_authenticated ? SecurityLevel::high : SecurityLevel::medium;
  const bool ok = a && (a->char_props & prop::authenticated_signed_writes) &&
                  !check(*a, c, Access::write, signed_level) && c.peer_csrk &&
                  q.sign_counter() >= c.next_sign_counter && q.sign_counter() != 0xFFFFFFFF &&
                  verify_att_signature(*c.peer_csrk, signed_message(q), q.signature);
  if (!ok) {
    ++stats_.signed_writes_rejected;
    return;
  }
  c.next_sign_counter = q.sign_counter() + 1;
  save(c);  // a replay on a later connection is refused too
  std::weak_ptr<int> alive = c.alive;
  write_value(*a, c, 0, q.value, [this, alive](WriteResult res) {
    if (!alive.expired() && !res) ++stats_.dropped_commands;
  });
}

void GattServer::prepare_write(PrepareWriteReq q, ConnState& c, const Respond& r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::prepare_write_req);
  Attribute* a = db_.find(q.handle);
  if (!a) return error(r, op, q.handle, att_errc::invalid_handle);
  // 3.4.6.1: permissions now; offsets and lengths at Execute Write.
  if (auto e = check(*a, c, Access::write)) return refuse(r, op, q.handle, *e);
  if (c.prepared.size() >= opts_.prepare_queue_entries ||
      c.prepared_bytes + q.value.size() > opts_.prepare_queue_bytes)
    return error(r, op, q.handle, att_errc::prepare_queue_full);
  c.prepared_bytes += q.value.size();
  c.prepared.push_back({q.handle, q.offset, q.value});
  answer(r, op, PrepareWriteRsp{q.handle, q.offset, std::move(q.value)});  // 3.4.6.2: echo
}

void GattServer::execute_write(const ExecuteWriteReq& q, ConnState& c, Respond r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::execute_write_req);
  auto queue = std::move(c.prepared);
  c.prepared.clear();
  c.prepared_bytes = 0;
  if (q.flags == ExecuteWriteReq::cancel || queue.empty()) return answer(r, op, ExecuteWriteRsp{});

  // Merge contiguous parts of one attribute (a long write) into one write.
  auto merged = std::make_shared<std::vector<PreparedWrite>>();
  for (auto& p : queue) {
    if (!merged->empty()) {
      auto& last = merged->back();
      if (last.handle == p.handle && std::size_t{last.offset} + last.value.size() == p.offset) {
        last.value.insert(last.value.end(), p.value.begin(), p.value.end());
        continue;
      }
    }
    merged->push_back(std::move(p));
  }
  // Validate everything before writing anything (3.4.6.3): offsets and
  // lengths of static values, CCCDs, and what each attribute's WriteCheck
  // (a characteristic with a handler) says it would accept.
  for (const auto& m : *merged) {
    const Attribute* a = db_.find(m.handle);
    if (!a) return error(r, op, m.handle, att_errc::invalid_handle);
    if (auto e = check_write_value(*a, c, m.offset, m.value.size())) return error(r, op, m.handle, *e);
  }
  auto err = std::make_shared<std::optional<std::pair<std::uint16_t, att_errc>>>();
  ConnState* cp = &c;
  detail::Sequence<WriteResult>::run(
      merged->size(), c.alive,
      [this, cp, merged](std::size_t i, WriteDone done) {
        const auto& m = (*merged)[i];
        Attribute* a = db_.find(m.handle);
        if (!a) return done(tl::unexpected(att_errc::invalid_handle));
        write_value(*a, *cp, m.offset, m.value, std::move(done));
      },
      [merged, err](std::size_t i, WriteResult& res) {
        if (res) return true;
        *err = {(*merged)[i].handle, res.error()};
        return false;
      },
      [this, err, r = std::move(r)] {
        if (*err) return error(r, op, (*err)->first, (*err)->second);
        answer(r, op, ExecuteWriteRsp{});
      });
}

CoreServiceHandles add_core_services(GattDb& db, std::string device_name, std::uint16_t appearance,
                                     bool robust_caching) {
  CoreServiceHandles h;
  // Generic Access (Vol 3 Part C 12.1 Device Name, 12.2 Appearance).
  db.begin_service(Uuid(0x1800));
  AttributeSpec name;
  name.value = bytes(device_name.begin(), device_name.end());
  if (name.value.size() > 248) name.value.resize(248);  // Vol 3 Part C 12.1
  h.device_name = db.add_characteristic(Uuid(0x2A00), prop::read, std::move(name)).value;
  AttributeSpec app;
  app.value = {static_cast<std::uint8_t>(appearance), static_cast<std::uint8_t>(appearance >> 8)};
  h.appearance = db.add_characteristic(Uuid(0x2A01), prop::read, std::move(app)).value;
  db.end_service();
  // Generic Attribute (Vol 3 Part G 7.1): Service Changed, indicate only,
  // its value not readable.
  db.begin_service(Uuid(0x1801));
  AttributeSpec sc;
  sc.perms = 0;
  sc.value = {0x01, 0x00, 0xFF, 0xFF};
  auto sch = db.add_characteristic(Uuid(0x2A05), prop::indicate, std::move(sc));
  h.service_changed = sch.value;
  h.service_changed_cccd = sch.cccd;
  if (!robust_caching) {
    db.end_service();
    return h;
  }
  // Part G 7.2 / 7.3: the server answers both from the connection's state
  // and the database (GattServer::read_value / write_value).
  AttributeSpec features;
  features.perms = perm::rw;
  h.client_features = db.add_characteristic(Uuid(client_features_uuid), prop::read | prop::write,
                                            std::move(features)).value;
  AttributeSpec hash;
  hash.perms = perm::read;
  h.database_hash = db.add_characteristic(Uuid(database_hash_uuid), prop::read, std::move(hash)).value;
  db.end_service();
  return h;
}

}  // namespace bcms::att
