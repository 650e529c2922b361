// GattServer: write procedures (Core v5.4 Vol 3 Part F 3.4.5-3.4.6,
// Part G 4.9-4.10), CCCDs (Part G 3.3.3.3) and the Generic Access /
// Generic Attribute services (Part C 12, Part G 7).
#include "src/att/gatt_server.hpp"

#include "src/att/gatt_seq.hpp"
#include "src/att/signing.hpp"

namespace bcms::att {
namespace {

bytes must_encode(const Pdu& p) { return encode(p).value_or(bytes{}); }

}  // namespace

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
  if (c.bonded && store_) store_->store(c.peer, c.peer_type, a.handle, v);
  if ((v & cccd_indicate) && c.service_changed_pending) send_service_changed(c);
  return {};
}

void GattServer::write_value(Attribute& a, ConnState& c, std::uint16_t offset, byte_span value, WriteDone done) {
  if (a.kind == AttrKind::cccd) {
    if (offset != 0) return done(tl::unexpected(att_errc::invalid_offset));
    return done(write_cccd(a, c, value));
  }
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
  auto refuse = [&](att_errc e) {
    if (command) ++stats_.dropped_commands;  // 3.4.5.3: no response, ever
    else error(r, op, handle, e);
  };
  Attribute* a = db_.find(handle);
  if (!a) return refuse(att_errc::invalid_handle);
  if (auto e = check(*a, c, Access::write)) return refuse(*e);
  if (value.size() > max_value_len) return refuse(att_errc::invalid_attribute_value_length);
  std::weak_ptr<int> alive = c.alive;
  write_value(*a, c, 0, value, [this, alive, handle, command, r = std::move(r)](WriteResult res) {
    if (alive.expired()) return;
    if (command) {
      if (!res) ++stats_.dropped_commands;
      return;
    }
    if (!res) return error(r, op, handle, res.error());
    r(must_encode(WriteRsp{}));
  });
}

void GattServer::signed_write(const SignedWriteCmd& q, ConnState& c) {
  // 3.4.5.4 / Vol 3 Part C 10.4.2: only on characteristics with the
  // Authenticated Signed Writes property, with the peer's CSRK, and a
  // SignCounter never seen before.  Failures are silent (a command).
  Attribute* a = db_.find(q.handle);
  const bool ok = a && (a->char_props & prop::authenticated_signed_writes) && (a->perms & perm::write) &&
                  c.peer_csrk && q.sign_counter() >= c.next_sign_counter &&
                  verify_att_signature(*c.peer_csrk, signed_message(q), q.signature);
  if (!ok) {
    ++stats_.signed_writes_rejected;
    return;
  }
  c.next_sign_counter = q.sign_counter() + 1;
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
  if (auto e = check(*a, c, Access::write)) return error(r, op, q.handle, *e);
  if (c.prepared.size() >= opts_.prepare_queue_entries ||
      c.prepared_bytes + q.value.size() > opts_.prepare_queue_bytes)
    return error(r, op, q.handle, att_errc::prepare_queue_full);
  c.prepared_bytes += q.value.size();
  c.prepared.push_back({q.handle, q.offset, q.value});
  r(must_encode(PrepareWriteRsp{q.handle, q.offset, std::move(q.value)}));  // 3.4.6.2: echo
}

void GattServer::execute_write(const ExecuteWriteReq& q, ConnState& c, Respond r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::execute_write_req);
  auto queue = std::move(c.prepared);
  c.prepared.clear();
  c.prepared_bytes = 0;
  if (q.flags == ExecuteWriteReq::cancel || queue.empty()) return r(must_encode(ExecuteWriteRsp{}));

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
  // Validate everything before writing anything (3.4.6.3).
  for (const auto& m : *merged) {
    const Attribute* a = db_.find(m.handle);
    if (!a) return error(r, op, m.handle, att_errc::invalid_handle);
    const bool is_static = !a->write && a->kind != AttrKind::cccd;
    if (is_static && m.offset > a->value.size()) return error(r, op, m.handle, att_errc::invalid_offset);
    if (m.offset + m.value.size() > max_value_len)
      return error(r, op, m.handle, att_errc::invalid_attribute_value_length);
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
        r(must_encode(ExecuteWriteRsp{}));
      });
}

CoreServiceHandles add_core_services(GattDb& db, std::string device_name, std::uint16_t appearance) {
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
  db.end_service();
  return h;
}

}  // namespace bcms::att
