// ATT PDUs (Core v5.4 Vol 3 Part F 3.3 and 3.4): typed structs, the
// opcode table, and pure encode/decode.  No I/O.
//
// PDU format (Core v5.4 Vol 3 Part F 3.3.1):
//   Opcode (1) | Attribute Parameters (0..ATT_MTU-1 or -13) | Signature (0 or 12)
// Opcode bits: 0-5 method, 6 Command Flag, 7 Authentication Signature Flag.
// All multi-octet fields are little-endian (3.2.2 / Vol 1 Part E 2.2).
//
// decode() checks every length against the table below: a PDU shorter than
// its fixed part is codec_errc::truncated, a fixed-size PDU with extra
// octets is codec_errc::trailing_bytes, a list whose length is not a
// whole number of entries is codec_errc::invalid_length.  Values are
// copied out of the input span (the structs own their bytes).
//
//   op    PDU                                  section     params (octets)
//   0x01  ATT_ERROR_RSP                        3.4.1.1     4
//   0x02  ATT_EXCHANGE_MTU_REQ                 3.4.2.1     2
//   0x03  ATT_EXCHANGE_MTU_RSP                 3.4.2.2     2
//   0x04  ATT_FIND_INFORMATION_REQ             3.4.3.1     4
//   0x05  ATT_FIND_INFORMATION_RSP             3.4.3.2     1 + n*(4|18)
//   0x06  ATT_FIND_BY_TYPE_VALUE_REQ           3.4.3.3     6 + value
//   0x07  ATT_FIND_BY_TYPE_VALUE_RSP           3.4.3.4     n*4
//   0x08  ATT_READ_BY_TYPE_REQ                 3.4.4.1     4 + (2|16)
//   0x09  ATT_READ_BY_TYPE_RSP                 3.4.4.2     1 + n*len
//   0x0A  ATT_READ_REQ                         3.4.4.3     2
//   0x0B  ATT_READ_RSP                         3.4.4.4     value
//   0x0C  ATT_READ_BLOB_REQ                    3.4.4.5     4
//   0x0D  ATT_READ_BLOB_RSP                    3.4.4.6     value
//   0x0E  ATT_READ_MULTIPLE_REQ                3.4.4.7     n*2, n >= 2
//   0x0F  ATT_READ_MULTIPLE_RSP                3.4.4.8     values
//   0x10  ATT_READ_BY_GROUP_TYPE_REQ           3.4.4.9     4 + (2|16)
//   0x11  ATT_READ_BY_GROUP_TYPE_RSP           3.4.4.10    1 + n*len
//   0x12  ATT_WRITE_REQ                        3.4.5.1     2 + value
//   0x13  ATT_WRITE_RSP                        3.4.5.2     0
//   0x16  ATT_PREPARE_WRITE_REQ                3.4.6.1     4 + value
//   0x17  ATT_PREPARE_WRITE_RSP                3.4.6.2     4 + value
//   0x18  ATT_EXECUTE_WRITE_REQ                3.4.6.3     1
//   0x19  ATT_EXECUTE_WRITE_RSP                3.4.6.4     0
//   0x1B  ATT_HANDLE_VALUE_NTF                 3.4.7.1     2 + value
//   0x1D  ATT_HANDLE_VALUE_IND                 3.4.7.2     2 + value
//   0x1E  ATT_HANDLE_VALUE_CFM                 3.4.7.3     0
//   0x20  ATT_READ_MULTIPLE_VARIABLE_REQ       3.4.4.11    n*2, n >= 2
//   0x21  ATT_READ_MULTIPLE_VARIABLE_RSP       3.4.4.12    n*(2 + len)
//   0x23  ATT_MULTIPLE_HANDLE_VALUE_NTF        3.4.7.4     n*(4 + len)
//   0x52  ATT_WRITE_CMD                        3.4.5.3     2 + value
//   0xD2  ATT_SIGNED_WRITE_CMD                 3.4.5.4     2 + value + 12
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string_view>
#include <variant>
#include <vector>

#include "protocol/att/uuid.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"

namespace bcms::att {

/// ATT_MTU bounds.  23 is the LE default (Vol 3 Part F 3.2.8, Part G 5.2.1);
/// 517 lets one PDU carry a whole 512-octet attribute value (3.2.9).
inline constexpr std::uint16_t default_mtu = 23;
inline constexpr std::uint16_t max_mtu = 517;
/// Maximum length of an attribute value (Vol 3 Part F 3.2.9).
inline constexpr std::size_t max_value_len = 512;
/// Authentication Signature length (Vol 3 Part F 3.3.1, Part H 2.4.5).
inline constexpr std::size_t signature_len = 12;

enum class Opcode : std::uint8_t {
  error_rsp = 0x01,
  exchange_mtu_req = 0x02,
  exchange_mtu_rsp = 0x03,
  find_information_req = 0x04,
  find_information_rsp = 0x05,
  find_by_type_value_req = 0x06,
  find_by_type_value_rsp = 0x07,
  read_by_type_req = 0x08,
  read_by_type_rsp = 0x09,
  read_req = 0x0A,
  read_rsp = 0x0B,
  read_blob_req = 0x0C,
  read_blob_rsp = 0x0D,
  read_multiple_req = 0x0E,
  read_multiple_rsp = 0x0F,
  read_by_group_type_req = 0x10,
  read_by_group_type_rsp = 0x11,
  write_req = 0x12,
  write_rsp = 0x13,
  prepare_write_req = 0x16,
  prepare_write_rsp = 0x17,
  execute_write_req = 0x18,
  execute_write_rsp = 0x19,
  handle_value_ntf = 0x1B,
  handle_value_ind = 0x1D,
  handle_value_cfm = 0x1E,
  read_multiple_variable_req = 0x20,
  read_multiple_variable_rsp = 0x21,
  multiple_handle_value_ntf = 0x23,
  write_cmd = 0x52,
  signed_write_cmd = 0xD2,
};

inline constexpr std::uint8_t command_flag = 0x40;         // 3.3.1
inline constexpr std::uint8_t signature_flag = 0x80;       // 3.3.1

/// Who sends the PDU and whether it expects an answer (3.3, 3.4.9).
enum class PduKind : std::uint8_t { request, response, command, notification, indication, confirmation };

struct OpcodeInfo {
  Opcode opcode;
  std::string_view name;     // "ATT_READ_REQ"
  std::string_view section;  // "Core v5.4 Vol 3 Part F 3.4.4.3"
  PduKind kind;
  std::uint16_t min_params;  // octets after the opcode
  bool fixed;                // exactly min_params octets
};

/// The table above, in opcode order.
[[nodiscard]] std::span<const OpcodeInfo> opcode_table() noexcept;
/// nullptr for an opcode the table does not know.
[[nodiscard]] const OpcodeInfo* find_opcode(std::uint8_t op) noexcept;
[[nodiscard]] std::string_view name(Opcode op) noexcept;

// ------------------------------------------------------------ PDU structs
struct ErrorRsp {  // 3.4.1.1
  std::uint8_t request_opcode = 0;
  std::uint16_t handle = 0;
  std::uint8_t error = 0;  // att_errc value or an application error
};
struct ExchangeMtuReq { std::uint16_t client_rx_mtu = default_mtu; };   // 3.4.2.1
struct ExchangeMtuRsp { std::uint16_t server_rx_mtu = default_mtu; };   // 3.4.2.2
struct FindInformationReq { std::uint16_t start = 0, end = 0; };        // 3.4.3.1
struct FindInformationRsp {                                             // 3.4.3.2
  static constexpr std::uint8_t format_16 = 0x01, format_128 = 0x02;
  struct Entry { std::uint16_t handle = 0; Uuid type; };
  std::uint8_t format = format_16;  // every entry is written in this form
  std::vector<Entry> entries;
};
struct FindByTypeValueReq {  // 3.4.3.3
  std::uint16_t start = 0, end = 0;
  std::uint16_t type = 0;  // always a 16-bit UUID
  bytes value;
};
struct FindByTypeValueRsp {  // 3.4.3.4
  struct Entry { std::uint16_t found = 0; std::uint16_t group_end = 0; };
  std::vector<Entry> entries;
};
struct ReadByTypeReq { std::uint16_t start = 0, end = 0; Uuid type; };  // 3.4.4.1
struct ReadByTypeRsp {                                                  // 3.4.4.2
  struct Entry { std::uint16_t handle = 0; bytes value; };
  std::vector<Entry> entries;  // all values of one length (<= 253)
};
struct ReadReq { std::uint16_t handle = 0; };                           // 3.4.4.3
struct ReadRsp { bytes value; };                                        // 3.4.4.4
struct ReadBlobReq { std::uint16_t handle = 0, offset = 0; };           // 3.4.4.5
struct ReadBlobRsp { bytes part; };                                     // 3.4.4.6
struct ReadMultipleReq { std::vector<std::uint16_t> handles; };         // 3.4.4.7
struct ReadMultipleRsp { bytes values; };                               // 3.4.4.8
struct ReadByGroupTypeReq { std::uint16_t start = 0, end = 0; Uuid type; };  // 3.4.4.9
struct ReadByGroupTypeRsp {                                             // 3.4.4.10
  struct Entry { std::uint16_t handle = 0; std::uint16_t group_end = 0; bytes value; };
  std::vector<Entry> entries;  // all values of one length (<= 251)
};
struct WriteReq { std::uint16_t handle = 0; bytes value; };             // 3.4.5.1
struct WriteRsp {};                                                     // 3.4.5.2
struct WriteCmd { std::uint16_t handle = 0; bytes value; };             // 3.4.5.3
struct SignedWriteCmd {                                                 // 3.4.5.4
  std::uint16_t handle = 0;
  bytes value;
  /// SignCounter (4, LE) || MAC (8), Vol 3 Part H 2.4.5.
  std::array<std::uint8_t, signature_len> signature{};
  [[nodiscard]] std::uint32_t sign_counter() const noexcept;
};
struct PrepareWriteReq { std::uint16_t handle = 0, offset = 0; bytes value; };  // 3.4.6.1
struct PrepareWriteRsp { std::uint16_t handle = 0, offset = 0; bytes value; };  // 3.4.6.2
struct ExecuteWriteReq {                                                // 3.4.6.3
  static constexpr std::uint8_t cancel = 0x00, write = 0x01;
  std::uint8_t flags = write;
};
struct ExecuteWriteRsp {};                                              // 3.4.6.4
struct HandleValueNtf { std::uint16_t handle = 0; bytes value; };       // 3.4.7.1
struct HandleValueInd { std::uint16_t handle = 0; bytes value; };       // 3.4.7.2
struct HandleValueCfm {};                                               // 3.4.7.3
struct ReadMultipleVariableReq { std::vector<std::uint16_t> handles; }; // 3.4.4.11
struct ReadMultipleVariableRsp {                                        // 3.4.4.12
  /// length is the attribute value's length; value may be shorter when
  /// the tuple list was cut at ATT_MTU (only the last tuple).
  struct Entry { std::uint16_t length = 0; bytes value; };
  std::vector<Entry> entries;
};
struct MultipleHandleValueNtf {                                         // 3.4.7.4
  struct Entry { std::uint16_t handle = 0; bytes value; };
  std::vector<Entry> entries;
};

using Pdu = std::variant<ErrorRsp, ExchangeMtuReq, ExchangeMtuRsp, FindInformationReq, FindInformationRsp,
                         FindByTypeValueReq, FindByTypeValueRsp, ReadByTypeReq, ReadByTypeRsp, ReadReq, ReadRsp,
                         ReadBlobReq, ReadBlobRsp, ReadMultipleReq, ReadMultipleRsp, ReadByGroupTypeReq,
                         ReadByGroupTypeRsp, WriteReq, WriteRsp, WriteCmd, SignedWriteCmd, PrepareWriteReq,
                         PrepareWriteRsp, ExecuteWriteReq, ExecuteWriteRsp, HandleValueNtf, HandleValueInd,
                         HandleValueCfm, ReadMultipleVariableReq, ReadMultipleVariableRsp, MultipleHandleValueNtf>;

[[nodiscard]] Opcode opcode_of(const Pdu& pdu) noexcept;

/// Decodes one whole PDU (opcode included).
expected<Pdu> decode(byte_span pdu);

/// Encodes one PDU.  Fails only for PDUs whose entries must agree with each
/// other or with a length field: ATT_READ_BY_TYPE_RSP and
/// ATT_READ_BY_GROUP_TYPE_RSP with values of different lengths or longer
/// than the one-octet Length field allows (invalid_length), list PDUs
/// with no entry, Read Multiple requests with fewer than two handles
/// (invalid_value), and Find Information entries that do not fit the
/// chosen format (invalid_value).  No MTU check: callers size PDUs.
expected<bytes> encode(const Pdu& pdu);

/// The octets an Authentication Signature covers (Vol 3 Part F 3.4.5.4):
/// opcode || handle || value, i.e. the PDU without its signature.
[[nodiscard]] bytes signed_message(const SignedWriteCmd& cmd);

}  // namespace bcms::att
