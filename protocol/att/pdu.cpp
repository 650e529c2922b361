// Opcode table and encoders for ATT PDUs (Core v5.4 Vol 3 Part F 3.4).
#include "protocol/att/pdu.hpp"

#include <algorithm>
#include <type_traits>

#include "protocol/codec_error.hpp"

namespace bcms::att {
namespace {

constexpr OpcodeInfo kTable[] = {
    {Opcode::error_rsp, "ATT_ERROR_RSP", "Core v5.4 Vol 3 Part F 3.4.1.1", PduKind::response, 4, true},
    {Opcode::exchange_mtu_req, "ATT_EXCHANGE_MTU_REQ", "Core v5.4 Vol 3 Part F 3.4.2.1", PduKind::request, 2, true},
    {Opcode::exchange_mtu_rsp, "ATT_EXCHANGE_MTU_RSP", "Core v5.4 Vol 3 Part F 3.4.2.2", PduKind::response, 2, true},
    {Opcode::find_information_req, "ATT_FIND_INFORMATION_REQ", "Core v5.4 Vol 3 Part F 3.4.3.1", PduKind::request, 4,
     true},
    {Opcode::find_information_rsp, "ATT_FIND_INFORMATION_RSP", "Core v5.4 Vol 3 Part F 3.4.3.2", PduKind::response,
     5, false},
    {Opcode::find_by_type_value_req, "ATT_FIND_BY_TYPE_VALUE_REQ", "Core v5.4 Vol 3 Part F 3.4.3.3",
     PduKind::request, 6, false},
    {Opcode::find_by_type_value_rsp, "ATT_FIND_BY_TYPE_VALUE_RSP", "Core v5.4 Vol 3 Part F 3.4.3.4",
     PduKind::response, 4, false},
    {Opcode::read_by_type_req, "ATT_READ_BY_TYPE_REQ", "Core v5.4 Vol 3 Part F 3.4.4.1", PduKind::request, 6, false},
    {Opcode::read_by_type_rsp, "ATT_READ_BY_TYPE_RSP", "Core v5.4 Vol 3 Part F 3.4.4.2", PduKind::response, 3, false},
    {Opcode::read_req, "ATT_READ_REQ", "Core v5.4 Vol 3 Part F 3.4.4.3", PduKind::request, 2, true},
    {Opcode::read_rsp, "ATT_READ_RSP", "Core v5.4 Vol 3 Part F 3.4.4.4", PduKind::response, 0, false},
    {Opcode::read_blob_req, "ATT_READ_BLOB_REQ", "Core v5.4 Vol 3 Part F 3.4.4.5", PduKind::request, 4, true},
    {Opcode::read_blob_rsp, "ATT_READ_BLOB_RSP", "Core v5.4 Vol 3 Part F 3.4.4.6", PduKind::response, 0, false},
    {Opcode::read_multiple_req, "ATT_READ_MULTIPLE_REQ", "Core v5.4 Vol 3 Part F 3.4.4.7", PduKind::request, 4,
     false},
    {Opcode::read_multiple_rsp, "ATT_READ_MULTIPLE_RSP", "Core v5.4 Vol 3 Part F 3.4.4.8", PduKind::response, 0,
     false},
    {Opcode::read_by_group_type_req, "ATT_READ_BY_GROUP_TYPE_REQ", "Core v5.4 Vol 3 Part F 3.4.4.9",
     PduKind::request, 6, false},
    {Opcode::read_by_group_type_rsp, "ATT_READ_BY_GROUP_TYPE_RSP", "Core v5.4 Vol 3 Part F 3.4.4.10",
     PduKind::response, 5, false},
    {Opcode::write_req, "ATT_WRITE_REQ", "Core v5.4 Vol 3 Part F 3.4.5.1", PduKind::request, 2, false},
    {Opcode::write_rsp, "ATT_WRITE_RSP", "Core v5.4 Vol 3 Part F 3.4.5.2", PduKind::response, 0, true},
    {Opcode::prepare_write_req, "ATT_PREPARE_WRITE_REQ", "Core v5.4 Vol 3 Part F 3.4.6.1", PduKind::request, 4,
     false},
    {Opcode::prepare_write_rsp, "ATT_PREPARE_WRITE_RSP", "Core v5.4 Vol 3 Part F 3.4.6.2", PduKind::response, 4,
     false},
    {Opcode::execute_write_req, "ATT_EXECUTE_WRITE_REQ", "Core v5.4 Vol 3 Part F 3.4.6.3", PduKind::request, 1,
     true},
    {Opcode::execute_write_rsp, "ATT_EXECUTE_WRITE_RSP", "Core v5.4 Vol 3 Part F 3.4.6.4", PduKind::response, 0,
     true},
    {Opcode::handle_value_ntf, "ATT_HANDLE_VALUE_NTF", "Core v5.4 Vol 3 Part F 3.4.7.1", PduKind::notification, 2,
     false},
    {Opcode::handle_value_ind, "ATT_HANDLE_VALUE_IND", "Core v5.4 Vol 3 Part F 3.4.7.2", PduKind::indication, 2,
     false},
    {Opcode::handle_value_cfm, "ATT_HANDLE_VALUE_CFM", "Core v5.4 Vol 3 Part F 3.4.7.3", PduKind::confirmation, 0,
     true},
    {Opcode::read_multiple_variable_req, "ATT_READ_MULTIPLE_VARIABLE_REQ", "Core v5.4 Vol 3 Part F 3.4.4.11",
     PduKind::request, 4, false},
    {Opcode::read_multiple_variable_rsp, "ATT_READ_MULTIPLE_VARIABLE_RSP", "Core v5.4 Vol 3 Part F 3.4.4.12",
     PduKind::response, 2, false},
    {Opcode::multiple_handle_value_ntf, "ATT_MULTIPLE_HANDLE_VALUE_NTF", "Core v5.4 Vol 3 Part F 3.4.7.4",
     PduKind::notification, 4, false},
    {Opcode::write_cmd, "ATT_WRITE_CMD", "Core v5.4 Vol 3 Part F 3.4.5.3", PduKind::command, 2, false},
    {Opcode::signed_write_cmd, "ATT_SIGNED_WRITE_CMD", "Core v5.4 Vol 3 Part F 3.4.5.4", PduKind::command,
     2 + signature_len, false},
};

// Index by opcode for O(1) lookup.
struct Index {
  std::array<std::int8_t, 256> at{};
  constexpr Index() {
    for (auto& a : at) a = -1;
    for (std::size_t i = 0; i < std::size(kTable); ++i) at[static_cast<std::uint8_t>(kTable[i].opcode)] = static_cast<std::int8_t>(i);
  }
};
constexpr Index kIndex{};

void put_u16s(ByteWriter& w, const std::vector<std::uint16_t>& hs) {
  for (auto h : hs) w.u16(h);
}

template <class Fn>
bytes build(Opcode op, Fn&& body) {
  bytes out;
  ByteWriter w(out);
  w.u8(static_cast<std::uint8_t>(op));
  body(w);
  return out;
}

}  // namespace

std::span<const OpcodeInfo> opcode_table() noexcept { return kTable; }

const OpcodeInfo* find_opcode(std::uint8_t op) noexcept {
  auto i = kIndex.at[op];
  return i < 0 ? nullptr : &kTable[static_cast<std::size_t>(i)];
}

std::string_view name(Opcode op) noexcept {
  const OpcodeInfo* info = find_opcode(static_cast<std::uint8_t>(op));
  return info ? info->name : "ATT_UNKNOWN";
}

std::uint32_t SignedWriteCmd::sign_counter() const noexcept {
  return static_cast<std::uint32_t>(signature[0]) | (static_cast<std::uint32_t>(signature[1]) << 8) |
         (static_cast<std::uint32_t>(signature[2]) << 16) | (static_cast<std::uint32_t>(signature[3]) << 24);
}

Opcode opcode_of(const Pdu& pdu) noexcept {
  static constexpr Opcode by_index[] = {
      Opcode::error_rsp, Opcode::exchange_mtu_req, Opcode::exchange_mtu_rsp, Opcode::find_information_req,
      Opcode::find_information_rsp, Opcode::find_by_type_value_req, Opcode::find_by_type_value_rsp,
      Opcode::read_by_type_req, Opcode::read_by_type_rsp, Opcode::read_req, Opcode::read_rsp, Opcode::read_blob_req,
      Opcode::read_blob_rsp, Opcode::read_multiple_req, Opcode::read_multiple_rsp, Opcode::read_by_group_type_req,
      Opcode::read_by_group_type_rsp, Opcode::write_req, Opcode::write_rsp, Opcode::write_cmd,
      Opcode::signed_write_cmd, Opcode::prepare_write_req, Opcode::prepare_write_rsp, Opcode::execute_write_req,
      Opcode::execute_write_rsp, Opcode::handle_value_ntf, Opcode::handle_value_ind, Opcode::handle_value_cfm,
      Opcode::read_multiple_variable_req, Opcode::read_multiple_variable_rsp, Opcode::multiple_handle_value_ntf};
  static_assert(std::size(by_index) == std::variant_size_v<Pdu>);
  return by_index[pdu.index()];
}

bytes signed_message(const SignedWriteCmd& cmd) {
  return build(Opcode::signed_write_cmd, [&](ByteWriter& w) {
    w.u16(cmd.handle);
    w.raw(cmd.value);
  });
}

expected<bytes> encode(const Pdu& pdu) {
  const Opcode op = opcode_of(pdu);
  return std::visit(
      [op](const auto& p) -> expected<bytes> {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ErrorRsp>) {
          return build(op, [&](ByteWriter& w) {
            w.u8(p.request_opcode);
            w.u16(p.handle);
            w.u8(p.error);
          });
        } else if constexpr (std::is_same_v<T, ExchangeMtuReq>) {
          return build(op, [&](ByteWriter& w) { w.u16(p.client_rx_mtu); });
        } else if constexpr (std::is_same_v<T, ExchangeMtuRsp>) {
          return build(op, [&](ByteWriter& w) { w.u16(p.server_rx_mtu); });
        } else if constexpr (std::is_same_v<T, FindInformationReq> || std::is_same_v<T, ReadBlobReq>) {
          if constexpr (std::is_same_v<T, FindInformationReq>) {
            return build(op, [&](ByteWriter& w) { w.u16(p.start); w.u16(p.end); });
          } else {
            return build(op, [&](ByteWriter& w) { w.u16(p.handle); w.u16(p.offset); });
          }
        } else if constexpr (std::is_same_v<T, FindInformationRsp>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          if (p.format != FindInformationRsp::format_16 && p.format != FindInformationRsp::format_128)
            return fail(codec_errc::invalid_value);
          for (const auto& e : p.entries)
            if (p.format == FindInformationRsp::format_16 && !e.type.is16()) return fail(codec_errc::invalid_value);
          return build(op, [&](ByteWriter& w) {
            w.u8(p.format);
            for (const auto& e : p.entries) {
              w.u16(e.handle);
              if (p.format == FindInformationRsp::format_16) w.u16(e.type.as16());
              else w.array(e.type.le());
            }
          });
        } else if constexpr (std::is_same_v<T, FindByTypeValueReq>) {
          return build(op, [&](ByteWriter& w) {
            w.u16(p.start);
            w.u16(p.end);
            w.u16(p.type);
            w.raw(p.value);
          });
        } else if constexpr (std::is_same_v<T, FindByTypeValueRsp>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          return build(op, [&](ByteWriter& w) {
            for (const auto& e : p.entries) {
              w.u16(e.found);
              w.u16(e.group_end);
            }
          });
        } else if constexpr (std::is_same_v<T, ReadByTypeReq> || std::is_same_v<T, ReadByGroupTypeReq>) {
          return build(op, [&](ByteWriter& w) {
            w.u16(p.start);
            w.u16(p.end);
            p.type.encode(w);
          });
        } else if constexpr (std::is_same_v<T, ReadByTypeRsp>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          const std::size_t len = p.entries.front().value.size();
          if (len + 2 > 0xFF) return fail(codec_errc::invalid_length);
          for (const auto& e : p.entries)
            if (e.value.size() != len) return fail(codec_errc::invalid_length);
          return build(op, [&](ByteWriter& w) {
            w.u8(static_cast<std::uint8_t>(len + 2));
            for (const auto& e : p.entries) {
              w.u16(e.handle);
              w.raw(e.value);
            }
          });
        } else if constexpr (std::is_same_v<T, ReadByGroupTypeRsp>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          const std::size_t len = p.entries.front().value.size();
          if (len + 4 > 0xFF) return fail(codec_errc::invalid_length);
          for (const auto& e : p.entries)
            if (e.value.size() != len) return fail(codec_errc::invalid_length);
          return build(op, [&](ByteWriter& w) {
            w.u8(static_cast<std::uint8_t>(len + 4));
            for (const auto& e : p.entries) {
              w.u16(e.handle);
              w.u16(e.group_end);
              w.raw(e.value);
            }
          });
        } else if constexpr (std::is_same_v<T, ReadReq>) {
          return build(op, [&](ByteWriter& w) { w.u16(p.handle); });
        } else if constexpr (std::is_same_v<T, ReadRsp>) {
          return build(op, [&](ByteWriter& w) { w.raw(p.value); });
        } else if constexpr (std::is_same_v<T, ReadBlobRsp>) {
          return build(op, [&](ByteWriter& w) { w.raw(p.part); });
        } else if constexpr (std::is_same_v<T, ReadMultipleReq> || std::is_same_v<T, ReadMultipleVariableReq>) {
          if (p.handles.size() < 2) return fail(codec_errc::invalid_value);
          return build(op, [&](ByteWriter& w) { put_u16s(w, p.handles); });
        } else if constexpr (std::is_same_v<T, ReadMultipleRsp>) {
          return build(op, [&](ByteWriter& w) { w.raw(p.values); });
        } else if constexpr (std::is_same_v<T, WriteReq> || std::is_same_v<T, WriteCmd> ||
                             std::is_same_v<T, HandleValueNtf> || std::is_same_v<T, HandleValueInd>) {
          return build(op, [&](ByteWriter& w) {
            w.u16(p.handle);
            w.raw(p.value);
          });
        } else if constexpr (std::is_same_v<T, SignedWriteCmd>) {
          return build(op, [&](ByteWriter& w) {
            w.u16(p.handle);
            w.raw(p.value);
            w.array(p.signature);
          });
        } else if constexpr (std::is_same_v<T, PrepareWriteReq> || std::is_same_v<T, PrepareWriteRsp>) {
          return build(op, [&](ByteWriter& w) {
            w.u16(p.handle);
            w.u16(p.offset);
            w.raw(p.value);
          });
        } else if constexpr (std::is_same_v<T, ExecuteWriteReq>) {
          return build(op, [&](ByteWriter& w) { w.u8(p.flags); });
        } else if constexpr (std::is_same_v<T, ReadMultipleVariableRsp>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          for (std::size_t i = 0; i < p.entries.size(); ++i) {
            const auto& e = p.entries[i];
            // Only the last tuple may be cut short (3.4.4.12).
            if (e.value.size() > e.length || (e.value.size() < e.length && i + 1 != p.entries.size()))
              return fail(codec_errc::invalid_length);
          }
          return build(op, [&](ByteWriter& w) {
            for (const auto& e : p.entries) {
              w.u16(e.length);
              w.raw(e.value);
            }
          });
        } else if constexpr (std::is_same_v<T, MultipleHandleValueNtf>) {
          if (p.entries.empty()) return fail(codec_errc::invalid_value);
          for (const auto& e : p.entries)
            if (e.value.size() > 0xFFFF) return fail(codec_errc::too_long);
          return build(op, [&](ByteWriter& w) {
            for (const auto& e : p.entries) {
              w.u16(e.handle);
              w.u16(static_cast<std::uint16_t>(e.value.size()));
              w.raw(e.value);
            }
          });
        } else {
          // WriteRsp, ExecuteWriteRsp, HandleValueCfm: opcode only.
          static_assert(std::is_empty_v<T>);
          return build(op, [](ByteWriter&) {});
        }
      },
      pdu);
}

}  // namespace bcms::att
