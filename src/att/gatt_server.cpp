// GattServer: dispatch, permission checks, robust caching, discovery and
// read procedures (Core v5.4 Vol 3 Part F 3.4.1-3.4.4, Part G 2.5.2,
// 4.4-4.8).  Writes are in gatt_server_write.cpp, connections and Service
// Changed in gatt_server_conn.cpp.
#include "src/att/gatt_server.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "protocol/codec_error.hpp"
#include "src/att/db_hash.hpp"
#include "src/att/gatt_seq.hpp"

namespace bcms::att {
namespace {

bytes take(const bytes& v, std::size_t offset, std::size_t max) {
  if (offset >= v.size()) return {};
  const std::size_t n = std::min(max, v.size() - offset);
  return bytes(v.begin() + static_cast<std::ptrdiff_t>(offset), v.begin() + static_cast<std::ptrdiff_t>(offset + n));
}

constexpr auto error_op = static_cast<std::uint8_t>(Opcode::error_rsp);

}  // namespace

GattServer::GattServer(GattDb& db, ServerOptions opts) : db_(db), opts_(opts) {
  if (opts_.rx_mtu < default_mtu) opts_.rx_mtu = default_mtu;
  db_.on_change = [this](std::uint16_t s, std::uint16_t e) { on_db_change(s, e); };
}

GattServer::~GattServer() { db_.on_change = nullptr; }

bool GattServer::expects_response(std::uint8_t op) noexcept {
  if (op & command_flag) return false;
  const OpcodeInfo* info = find_opcode(op);
  return !info || info->kind == PduKind::request;
}

void GattServer::answer(const Respond& r, std::uint8_t op, const Pdu& p) {
  if (!r) return;
  auto pdu = encode(p);
  if (!pdu || pdu->empty()) {
    // An answer we built but cannot encode is our bug; the client still
    // gets an answer (3.4.1.1) instead of waiting out its 30 s timeout.
    ++stats_.internal_errors;
    spdlog::error("gatt: cannot encode the answer to opcode 0x{:02x}: {}", op,
                  pdu ? "empty" : pdu.error().message());
    return error(r, op, 0x0000, att_errc::unlikely_error);
  }
  r(Response{std::move(*pdu)});
}

void GattServer::error(const Respond& r, std::uint8_t op, std::uint16_t handle, att_errc e, SecurityLevel raise) {
  ++stats_.error_responses;
  if (!r) return;
  // Fixed layout (3.4.1.1): encoding cannot fail.
  r(Response{bytes{error_op, op, static_cast<std::uint8_t>(handle), static_cast<std::uint8_t>(handle >> 8),
                   static_cast<std::uint8_t>(e)},
             raise});
}

bytes GattServer::handle(byte_span pdu, ConnState& conn) {
  bytes out;
  handle(pdu, conn, [&out](Response r) { out = std::move(r.pdu); });
  return out;
}

void GattServer::handle(byte_span pdu, ConnState& c, Respond r) {
  if (pdu.empty()) return;
  const std::uint8_t op = pdu[0];
  const bool request = expects_response(op);
  if (request) ++stats_.requests;
  else if (op & command_flag) ++stats_.commands;
  refresh(c);  // the link may have been encrypted since the last PDU
  if (!robust_gate(pdu, c, r)) return;

  // A PDU longer than ATT_MTU breaks 3.2.8 (the client must size its
  // PDUs); answering it could exceed ATT_MTU too (Prepare Write echoes).
  auto decoded = pdu.size() <= c.mtu ? decode(pdu) : expected<Pdu>(fail(codec_errc::too_long));
  if (!decoded) {
    if (decoded.error() != make_error_code(codec_errc::unknown_opcode)) ++stats_.malformed;
    if (!request) {
      if (op & command_flag) ++stats_.dropped_commands;
      return;  // commands and non-requests are never answered (3.3)
    }
    // 3.4.9: unknown requests are not supported; malformed ones are invalid.
    const bool known = find_opcode(op) != nullptr;
    error(r, op, 0x0000, known ? att_errc::invalid_pdu : att_errc::request_not_supported);
    return;
  }
  std::visit(
      [&](auto& p) {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ExchangeMtuReq>) exchange_mtu(p, c, r);
        else if constexpr (std::is_same_v<T, FindInformationReq>) find_information(p, c, r);
        else if constexpr (std::is_same_v<T, FindByTypeValueReq>) find_by_type_value(p, c, r);
        else if constexpr (std::is_same_v<T, ReadByTypeReq>) read_by_type(p, c, std::move(r));
        else if constexpr (std::is_same_v<T, ReadReq>) read(p, c, std::move(r));
        else if constexpr (std::is_same_v<T, ReadBlobReq>) read_blob(p, c, std::move(r));
        else if constexpr (std::is_same_v<T, ReadMultipleReq>) read_multiple(p.handles, false, c, std::move(r));
        else if constexpr (std::is_same_v<T, ReadMultipleVariableReq>) read_multiple(p.handles, true, c, std::move(r));
        else if constexpr (std::is_same_v<T, ReadByGroupTypeReq>) read_by_group_type(p, c, r);
        else if constexpr (std::is_same_v<T, WriteReq>) write(p.handle, p.value, c, std::move(r));
        else if constexpr (std::is_same_v<T, WriteCmd>) write(p.handle, p.value, c, nullptr);
        else if constexpr (std::is_same_v<T, SignedWriteCmd>) signed_write(p, c);
        else if constexpr (std::is_same_v<T, PrepareWriteReq>) prepare_write(std::move(p), c, r);
        else if constexpr (std::is_same_v<T, ExecuteWriteReq>) execute_write(p, c, std::move(r));
        // Responses, notifications, indications and confirmations are the
        // bearer's or a client's business: ignored here.
      },
      *decoded);
}

// ------------------------------------------------------------ robust caching
bool GattServer::robust_gate(byte_span pdu, ConnState& c, const Respond& r) {
  // Vol 3 Part G 2.5.2.1: only change-unaware clients that enabled robust
  // caching are held back.
  if (c.change_aware || !(c.client_features & client_feature_robust_caching)) return true;
  const std::uint8_t op = pdu[0];
  if (!expects_response(op)) return false;  // commands of a change-unaware client: ignored
  // Reading the Database Hash by type is how the client catches up.
  if (op == static_cast<std::uint8_t>(Opcode::read_by_type_req)) {
    auto q = decode(pdu);
    if (q && std::holds_alternative<ReadByTypeReq>(*q) &&
        std::get<ReadByTypeReq>(*q).type == Uuid(database_hash_uuid)) {
      become_change_aware(c);
      return true;
    }
  }
  if (c.out_of_sync_sent) {
    // It has been told; this next request means it has acted on it.
    become_change_aware(c);
    return true;
  }
  c.out_of_sync_sent = true;
  ++stats_.out_of_sync;
  error(r, op, 0x0000, att_errc::database_out_of_sync);
  return false;
}

const DbHash& GattServer::hash() {
  if (!hash_) {
    auto h = database_hash(db_);
    if (!h) spdlog::error("gatt: AES-CMAC unavailable: Database Hash not computed");
    hash_ = h.value_or(DbHash{});
  }
  return *hash_;
}

// ------------------------------------------------------------ permissions
std::optional<Refusal> GattServer::check(const Attribute& a, const ConnState& c, Access access,
                                         std::optional<SecurityLevel> signed_level) const {
  const bool rd = access == Access::read;
  const std::uint16_t p = a.perms;
  if (!(p & (rd ? perm::read : perm::write)))
    return Refusal{rd ? att_errc::read_not_permitted : att_errc::write_not_permitted};
  // Vol 3 Part C 10.3 / Part F 3.2.5: authentication before encryption.
  const SecurityLevel level = signed_level ? std::max(*signed_level, c.level()) : c.level();
  if ((p & (rd ? perm::read_secure : perm::write_secure)) && level < SecurityLevel::fips)
    return Refusal{att_errc::insufficient_authentication, SecurityLevel::fips};
  if ((p & (rd ? perm::read_authenticated : perm::write_authenticated)) && level < SecurityLevel::high)
    return Refusal{att_errc::insufficient_authentication, SecurityLevel::high};
  if ((p & (rd ? perm::read_encrypted : perm::write_encrypted)) && level < SecurityLevel::medium)
    return Refusal{att_errc::insufficient_encryption, SecurityLevel::medium};
  if (a.min_key_size && c.level() >= SecurityLevel::medium && c.key_size() < a.min_key_size)
    return Refusal{att_errc::encryption_key_size_too_short};
  if (p & (rd ? perm::read_authorized : perm::write_authorized)) {
    if (!authorize_ || !authorize_(c, a.handle, access)) return Refusal{att_errc::insufficient_authorization};
  }
  return std::nullopt;
}

void GattServer::read_value(const Attribute& a, ConnState& c, std::uint16_t offset, ReadDone done) {
  if (a.type == Uuid(database_hash_uuid)) {
    const DbHash& h = hash();
    become_change_aware(c);  // Part G 2.5.2.1: reading the hash
    return done(bytes(h.begin(), h.end()));
  }
  if (a.type == Uuid(client_features_uuid)) return done(bytes{c.client_features});
  if (a.kind == AttrKind::cccd) {
    auto it = c.cccd.find(a.handle);
    const std::uint16_t v = it == c.cccd.end() ? 0 : it->second;
    return done(bytes{static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)});
  }
  if (a.read) {
    ReadHandler h = a.read;  // the attribute may go away while the handler runs
    return h(AccessRequest{c, a.handle, offset}, std::move(done));
  }
  done(a.value);
}

// ------------------------------------------------------------ MTU, discovery
void GattServer::exchange_mtu(const ExchangeMtuReq& q, ConnState& c, const Respond& r) {
  // 3.4.2.2: ATT_MTU = min(Client Rx MTU, Server Rx MTU), at least 23.
  // Only the first exchange counts: the client shall send it once.
  if (!c.mtu_exchanged) {
    c.mtu = std::max(default_mtu, std::min(q.client_rx_mtu, opts_.rx_mtu));
    c.mtu_exchanged = true;
  }
  answer(r, static_cast<std::uint8_t>(Opcode::exchange_mtu_req), ExchangeMtuRsp{opts_.rx_mtu});
}

void GattServer::find_information(const FindInformationReq& q, ConnState& c, const Respond& r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::find_information_req);
  if (q.start == 0 || q.start > q.end) return error(r, op, q.start, att_errc::invalid_handle);
  auto attrs = db_.range(q.start, q.end);
  if (attrs.empty()) return error(r, op, q.start, att_errc::attribute_not_found);
  // 3.4.3.2: one format per response, decided by the first attribute.
  FindInformationRsp rsp;
  const bool short_form = attrs.front().type.is16();
  rsp.format = short_form ? FindInformationRsp::format_16 : FindInformationRsp::format_128;
  const std::size_t entry = short_form ? 4 : 18;
  std::size_t size = 2;
  for (const auto& a : attrs) {
    if (a.type.is16() != short_form || size + entry > c.mtu) break;
    rsp.entries.push_back({a.handle, a.type});
    size += entry;
  }
  answer(r, op, rsp);
}

void GattServer::find_by_type_value(const FindByTypeValueReq& q, ConnState& c, const Respond& r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::find_by_type_value_req);
  if (q.start == 0 || q.start > q.end) return error(r, op, q.start, att_errc::invalid_handle);
  FindByTypeValueRsp rsp;
  std::size_t size = 1;
  const Uuid type = q.type;
  for (const auto& a : db_.range(q.start, q.end)) {
    // Only static, readable values take part (declarations in practice).
    if (a.type != type || a.read || a.kind == AttrKind::cccd || a.value != q.value) continue;
    if (check(a, c, Access::read)) continue;
    if (size + 4 > c.mtu) break;
    // 3.4.3.4: Group End Handle is the handle itself for non-grouping types.
    rsp.entries.push_back({a.handle, a.kind == AttrKind::service ? a.end_group : a.handle});
    size += 4;
  }
  if (rsp.entries.empty()) return error(r, op, q.start, att_errc::attribute_not_found);
  answer(r, op, rsp);
}

void GattServer::read_by_group_type(const ReadByGroupTypeReq& q, ConnState& c, const Respond& r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::read_by_group_type_req);
  if (q.start == 0 || q.start > q.end) return error(r, op, q.start, att_errc::invalid_handle);
  // GATT's grouping types are the service declarations (Vol 3 Part G 2.5.3).
  if (q.type != Uuid(primary_service_uuid) && q.type != Uuid(secondary_service_uuid))
    return error(r, op, q.start, att_errc::unsupported_group_type);
  ReadByGroupTypeRsp rsp;
  std::size_t size = 2;
  const std::size_t max_value = std::min<std::size_t>(c.mtu - 6u, 251);
  for (const auto& a : db_.range(q.start, q.end)) {
    if (a.type != q.type) continue;
    bytes v = take(a.value, 0, max_value);
    if (!rsp.entries.empty() && v.size() != rsp.entries.front().value.size()) break;
    if (size + 4 + v.size() > c.mtu) break;
    size += 4 + v.size();
    rsp.entries.push_back({a.handle, a.end_group, std::move(v)});
  }
  if (rsp.entries.empty()) return error(r, op, q.start, att_errc::attribute_not_found);
  answer(r, op, rsp);
}

// ------------------------------------------------------------ reads
void GattServer::read_by_type(const ReadByTypeReq& q, ConnState& c, Respond r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::read_by_type_req);
  if (q.start == 0 || q.start > q.end) return error(r, op, q.start, att_errc::invalid_handle);
  auto handles = std::make_shared<std::vector<std::uint16_t>>();
  for (const auto& a : db_.range(q.start, q.end))
    if (a.type == q.type) handles->push_back(a.handle);
  if (handles->empty()) return error(r, op, q.start, att_errc::attribute_not_found);

  // 3.4.4.1: the first attribute's error is the answer; a later error ends
  // the list.  Values are cut to min(ATT_MTU-4, 253) (3.4.4.2).
  struct State {
    ReadByTypeRsp rsp;
    std::size_t size = 2;
    std::optional<std::pair<std::uint16_t, att_errc>> err;
    SecurityLevel raise = SecurityLevel::low;
  };
  auto st = std::make_shared<State>();
  const std::size_t max_value = std::min<std::size_t>(c.mtu - 4u, 253);
  ConnState* cp = &c;
  detail::Sequence<ReadResult>::run(
      handles->size(), c.alive,
      [this, cp, handles, st](std::size_t i, ReadDone done) {
        const Attribute* a = db_.find((*handles)[i]);
        if (!a) return done(tl::unexpected(att_errc::invalid_handle));
        if (auto e = check(*a, *cp, Access::read)) {
          if (st->rsp.entries.empty()) st->raise = e->needs;
          return done(tl::unexpected(e->error));
        }
        read_value(*a, *cp, 0, std::move(done));
      },
      [handles, st, max_value, cp](std::size_t i, ReadResult& res) {
        const std::uint16_t h = (*handles)[i];
        if (!res) {
          if (st->rsp.entries.empty()) st->err = {h, res.error()};
          return false;
        }
        bytes v = take(*res, 0, max_value);
        if (!st->rsp.entries.empty() && v.size() != st->rsp.entries.front().value.size()) return false;
        if (st->size + 2 + v.size() > cp->mtu) return false;
        st->size += 2 + v.size();
        st->rsp.entries.push_back({h, std::move(v)});
        // Stop before reading an attribute that could not fit anyway.
        return st->size + 2 + st->rsp.entries.front().value.size() <= cp->mtu;
      },
      [this, st, r = std::move(r)] {
        if (st->err) return error(r, op, st->err->first, st->err->second, st->raise);
        answer(r, op, st->rsp);
      });
}

void GattServer::read(const ReadReq& q, ConnState& c, Respond r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::read_req);
  const Attribute* a = db_.find(q.handle);
  if (!a) return error(r, op, q.handle, att_errc::invalid_handle);
  if (auto e = check(*a, c, Access::read)) return refuse(r, op, q.handle, *e);
  std::weak_ptr<int> alive = c.alive;
  ConnState* cp = &c;
  read_value(*a, c, 0, [this, alive, cp, h = q.handle, r = std::move(r)](ReadResult res) {
    if (alive.expired()) return;
    if (!res) return error(r, op, h, res.error());
    answer(r, op, ReadRsp{take(*res, 0, cp->mtu - 1u)});  // 3.4.4.4
  });
}

void GattServer::read_blob(const ReadBlobReq& q, ConnState& c, Respond r) {
  constexpr auto op = static_cast<std::uint8_t>(Opcode::read_blob_req);
  const Attribute* a = db_.find(q.handle);
  if (!a) return error(r, op, q.handle, att_errc::invalid_handle);
  if (auto e = check(*a, c, Access::read)) return refuse(r, op, q.handle, *e);
  std::weak_ptr<int> alive = c.alive;
  ConnState* cp = &c;
  read_value(*a, c, q.offset, [this, alive, cp, q, r = std::move(r)](ReadResult res) {
    if (alive.expired()) return;
    if (!res) return error(r, op, q.handle, res.error());
    // 3.4.4.5: an offset past the end is Invalid Offset; a value that fits
    // in one Read Response (<= ATT_MTU-3) is not long.
    if (q.offset > res->size()) return error(r, op, q.handle, att_errc::invalid_offset);
    if (res->size() <= cp->mtu - 3u) return error(r, op, q.handle, att_errc::attribute_not_long);
    answer(r, op, ReadBlobRsp{take(*res, q.offset, cp->mtu - 1u)});
  });
}

void GattServer::read_multiple(const std::vector<std::uint16_t>& hs, bool variable, ConnState& c, Respond r) {
  const auto op = static_cast<std::uint8_t>(variable ? Opcode::read_multiple_variable_req : Opcode::read_multiple_req);
  auto handles = std::make_shared<std::vector<std::uint16_t>>(hs);
  struct State {
    bytes out;  // Set Of Values, or Length Value Tuple List
    std::optional<std::pair<std::uint16_t, att_errc>> err;
    SecurityLevel raise = SecurityLevel::low;
  };
  auto st = std::make_shared<State>();
  ConnState* cp = &c;
  detail::Sequence<ReadResult>::run(
      handles->size(), c.alive,
      [this, cp, handles, st](std::size_t i, ReadDone done) {
        const Attribute* a = db_.find((*handles)[i]);
        if (!a) return done(tl::unexpected(att_errc::invalid_handle));
        if (auto e = check(*a, *cp, Access::read)) {
          st->raise = e->needs;
          return done(tl::unexpected(e->error));
        }
        read_value(*a, *cp, 0, std::move(done));
      },
      [handles, st, variable](std::size_t i, ReadResult& res) {
        // 3.4.4.7/3.4.4.11: any failing handle fails the whole request.
        if (!res) {
          st->err = {(*handles)[i], res.error()};
          return false;
        }
        if (variable) {
          // 3.4.4.12: Length is the value's length; the list is cut at
          // ATT_MTU-1 (possibly inside the last tuple).
          ByteWriter w(st->out);
          w.u16(static_cast<std::uint16_t>(res->size()));
          w.raw(*res);
        } else {
          st->out.insert(st->out.end(), res->begin(), res->end());  // 3.4.4.8
        }
        return true;
      },
      [this, st, op, cp, variable, r = std::move(r)] {
        if (st->err) return error(r, op, st->err->first, st->err->second, st->raise);
        const std::size_t max = cp->mtu - 1u;
        if (st->out.size() > max) st->out.resize(max);
        bytes pdu{static_cast<std::uint8_t>(variable ? Opcode::read_multiple_variable_rsp
                                                     : Opcode::read_multiple_rsp)};
        pdu.insert(pdu.end(), st->out.begin(), st->out.end());
        r(Response{std::move(pdu)});
      });
}

std::uint16_t GattServer::subscription(const ConnState& c, std::uint16_t value_handle) const {
  for (const auto& a : db_.range(value_handle, 0xFFFF)) {
    if (a.handle != value_handle && (a.kind == AttrKind::characteristic || a.kind == AttrKind::service)) break;
    if (a.kind == AttrKind::cccd && a.value_handle == value_handle) {
      auto it = c.cccd.find(a.handle);
      return it == c.cccd.end() ? 0 : it->second;
    }
  }
  return 0;
}

std::optional<bytes> GattServer::notification(const ConnState& c, std::uint16_t value_handle, byte_span value,
                                              bool indication) const {
  if (!(subscription(c, value_handle) & (indication ? cccd_indicate : cccd_notify))) return std::nullopt;
  bytes v(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(value.size(), c.mtu - 3u)));
  auto pdu = indication ? encode(HandleValueInd{value_handle, std::move(v)}) : encode(HandleValueNtf{value_handle, std::move(v)});
  if (!pdu) return std::nullopt;
  return std::move(*pdu);
}

}  // namespace bcms::att
