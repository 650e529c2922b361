// Decoders for ATT PDUs (Core v5.4 Vol 3 Part F 3.4).  Lengths are checked
// against the opcode table first (fixed part, fixed size), then per PDU.
#include "protocol/att/pdu.hpp"

#include <algorithm>

#include "protocol/codec_error.hpp"

namespace bcms::att {
namespace {

bytes copy(byte_span s) { return bytes(s.begin(), s.end()); }

expected<Pdu> start_end(ByteReader& r, auto make) {
  std::uint16_t s = 0, e = 0;
  r.u16(s);
  r.u16(e);
  return make(s, e);
}

// ATT_READ_BY_TYPE_REQ / ATT_READ_BY_GROUP_TYPE_REQ: the UUID is 2 or 16
// octets (3.4.4.1, 3.4.4.9); anything else is an invalid length.
template <class T>
expected<Pdu> range_and_uuid(ByteReader& r) {
  T t;
  r.u16(t.start);
  r.u16(t.end);
  byte_span u = r.rest();
  if (u.size() != 2 && u.size() != 16) return fail(codec_errc::invalid_length);
  t.type = *Uuid::from_wire(u);
  return t;
}

expected<std::vector<std::uint16_t>> handle_set(ByteReader& r) {
  // 3.4.4.7 / 3.4.4.11: two or more handles.
  if (r.remaining() % 2 != 0) return fail(codec_errc::invalid_length);
  std::vector<std::uint16_t> hs(r.remaining() / 2);
  for (auto& h : hs) r.u16(h);
  return hs;
}

}  // namespace

expected<Pdu> decode(byte_span pdu) {
  if (pdu.empty()) return fail(codec_errc::truncated);
  const OpcodeInfo* info = find_opcode(pdu[0]);
  if (!info) return fail(codec_errc::unknown_opcode);
  ByteReader r(pdu.subspan(1));
  if (r.remaining() < info->min_params) return fail(codec_errc::truncated);
  if (info->fixed && r.remaining() > info->min_params) return fail(codec_errc::trailing_bytes);

  switch (info->opcode) {
    case Opcode::error_rsp: {
      ErrorRsp p;
      r.u8(p.request_opcode);
      r.u16(p.handle);
      r.u8(p.error);
      return p;
    }
    case Opcode::exchange_mtu_req: {
      ExchangeMtuReq p;
      r.u16(p.client_rx_mtu);
      return p;
    }
    case Opcode::exchange_mtu_rsp: {
      ExchangeMtuRsp p;
      r.u16(p.server_rx_mtu);
      return p;
    }
    case Opcode::find_information_req:
      return start_end(r, [](std::uint16_t s, std::uint16_t e) -> Pdu { return FindInformationReq{s, e}; });
    case Opcode::find_information_rsp: {
      FindInformationRsp p;
      r.u8(p.format);
      std::size_t uuid_len = 0;
      if (p.format == FindInformationRsp::format_16) uuid_len = 2;
      else if (p.format == FindInformationRsp::format_128) uuid_len = 16;
      else return fail(codec_errc::invalid_value);
      if (r.remaining() % (2 + uuid_len) != 0) return fail(codec_errc::invalid_length);
      while (!r.empty()) {
        FindInformationRsp::Entry e{};
        byte_span u;
        r.u16(e.handle);
        r.view(uuid_len, u);
        e.type = *Uuid::from_wire(u);
        p.entries.push_back(e);
      }
      return p;
    }
    case Opcode::find_by_type_value_req: {
      FindByTypeValueReq p;
      r.u16(p.start);
      r.u16(p.end);
      r.u16(p.type);
      p.value = copy(r.rest());
      return p;
    }
    case Opcode::find_by_type_value_rsp: {
      if (r.remaining() % 4 != 0) return fail(codec_errc::invalid_length);
      FindByTypeValueRsp p;
      while (!r.empty()) {
        FindByTypeValueRsp::Entry e{};
        r.u16(e.found);
        r.u16(e.group_end);
        p.entries.push_back(e);
      }
      return p;
    }
    case Opcode::read_by_type_req: return range_and_uuid<ReadByTypeReq>(r);
    case Opcode::read_by_group_type_req: return range_and_uuid<ReadByGroupTypeReq>(r);
    case Opcode::read_by_type_rsp: {
      std::uint8_t len = 0;
      r.u8(len);
      if (len < 2 || r.remaining() % len != 0) return fail(codec_errc::invalid_length);
      ReadByTypeRsp p;
      while (!r.empty()) {
        ReadByTypeRsp::Entry e;
        byte_span v;
        r.u16(e.handle);
        r.view(len - 2u, v);
        e.value = copy(v);
        p.entries.push_back(std::move(e));
      }
      return p;
    }
    case Opcode::read_by_group_type_rsp: {
      std::uint8_t len = 0;
      r.u8(len);
      if (len < 4 || r.remaining() % len != 0) return fail(codec_errc::invalid_length);
      ReadByGroupTypeRsp p;
      while (!r.empty()) {
        ReadByGroupTypeRsp::Entry e;
        byte_span v;
        r.u16(e.handle);
        r.u16(e.group_end);
        r.view(len - 4u, v);
        e.value = copy(v);
        p.entries.push_back(std::move(e));
      }
      return p;
    }
    case Opcode::read_req: {
      ReadReq p;
      r.u16(p.handle);
      return p;
    }
    case Opcode::read_rsp: return ReadRsp{copy(r.rest())};
    case Opcode::read_blob_req: {
      ReadBlobReq p;
      r.u16(p.handle);
      r.u16(p.offset);
      return p;
    }
    case Opcode::read_blob_rsp: return ReadBlobRsp{copy(r.rest())};
    case Opcode::read_multiple_req: {
      auto hs = handle_set(r);
      if (!hs) return unexpected(hs.error());
      return ReadMultipleReq{std::move(*hs)};
    }
    case Opcode::read_multiple_variable_req: {
      auto hs = handle_set(r);
      if (!hs) return unexpected(hs.error());
      return ReadMultipleVariableReq{std::move(*hs)};
    }
    case Opcode::read_multiple_rsp: return ReadMultipleRsp{copy(r.rest())};
    case Opcode::read_multiple_variable_rsp: {
      // 3.4.4.12: the list may be cut at ATT_MTU anywhere in the last
      // tuple, even inside its Length field.
      ReadMultipleVariableRsp p;
      while (r.remaining() >= 2) {
        ReadMultipleVariableRsp::Entry e;
        r.u16(e.length);
        byte_span v;
        r.view(std::min<std::size_t>(e.length, r.remaining()), v);
        e.value = copy(v);
        p.entries.push_back(std::move(e));
      }
      return p;
    }
    case Opcode::write_req:
    case Opcode::write_cmd:
    case Opcode::handle_value_ntf:
    case Opcode::handle_value_ind: {
      std::uint16_t h = 0;
      r.u16(h);
      bytes v = copy(r.rest());
      switch (info->opcode) {
        case Opcode::write_req: return WriteReq{h, std::move(v)};
        case Opcode::write_cmd: return WriteCmd{h, std::move(v)};
        case Opcode::handle_value_ntf: return HandleValueNtf{h, std::move(v)};
        default: return HandleValueInd{h, std::move(v)};
      }
    }
    case Opcode::signed_write_cmd: {
      SignedWriteCmd p;
      r.u16(p.handle);
      byte_span v;
      r.view(r.remaining() - signature_len, v);
      p.value = copy(v);
      r.array(p.signature);
      return p;
    }
    case Opcode::prepare_write_req:
    case Opcode::prepare_write_rsp: {
      std::uint16_t h = 0, off = 0;
      r.u16(h);
      r.u16(off);
      bytes v = copy(r.rest());
      if (info->opcode == Opcode::prepare_write_req) return PrepareWriteReq{h, off, std::move(v)};
      return PrepareWriteRsp{h, off, std::move(v)};
    }
    case Opcode::execute_write_req: {
      ExecuteWriteReq p;
      r.u8(p.flags);
      // 3.4.6.3: 0x00 cancel, 0x01 write; all other values reserved.
      if (p.flags > ExecuteWriteReq::write) return fail(codec_errc::invalid_value);
      return p;
    }
    case Opcode::multiple_handle_value_ntf: {
      MultipleHandleValueNtf p;
      while (!r.empty()) {
        MultipleHandleValueNtf::Entry e;
        std::uint16_t len = 0;
        byte_span v;
        r.u16(e.handle);
        r.u16(len);
        if (!r.view(len, v)) return fail(codec_errc::truncated);
        e.value = copy(v);
        p.entries.push_back(std::move(e));
      }
      if (!r.ok()) return fail(codec_errc::truncated);
      return p;
    }
    case Opcode::write_rsp: return WriteRsp{};
    case Opcode::execute_write_rsp: return ExecuteWriteRsp{};
    case Opcode::handle_value_cfm: return HandleValueCfm{};
  }
  return fail(codec_errc::unknown_opcode);
}

}  // namespace bcms::att
