// mgmt framing: the 6-octet header of every command and event on the
// Bluetooth management socket (HCI_CHANNEL_CONTROL), and the two implicit
// events that answer commands.  Pure, no I/O.
//
// ---------------------------------------------------------------- API summary
// (namespace bcms::mgmt; every decoder is bounds-checked and returns an
//  error_code, never throws for bad input)
//
//  frame.hpp    decode_frame(byte_span) -> expected<Frame{code, index, params}>
//                 checks Parameter Length against the buffer; params BORROW
//                 the input buffer.
//               encode_command(uint16 opcode, uint16 index, byte_span params)
//                 -> expected<bytes>   (codec_errc::too_long over 65535)
//               encode_command(const Cmd& cmd, uint16 index) -> expected<bytes>
//                 for any generated command struct (gen/mgmt_types.hpp)
//               encode_event(code, index, params) -> expected<bytes> (tests,
//                 emulators)
//               parse_command_complete(params) -> expected<CommandComplete
//                 {opcode, status, params}>  (event 0x0001)
//               parse_command_status(params) -> expected<CommandStatus
//                 {opcode, status}>          (event 0x0002)
//               kNonController (0xFFFF), kHeaderSize (6)
//  status.hpp   enum Status (generated) is an error_code enum, category "mgmt":
//                 std::error_code ec = Status::Busy;  ec.message() == "Busy (0x0a)"
//  dispatch.hpp decode_event(const Frame&) -> expected<Event>  (Event is the
//                 std::variant of every generated XxxEvent struct; sizes are
//                 checked against the generated table in ONE place,
//                 check_size())
//               decode_reply<Cmd>(const CommandComplete&) -> expected<Cmd::Reply>
//                 (non-Success status -> make_error_code(Status))
//               command_result(const CommandStatus&) -> std::error_code
//  generic.hpp  encode_fields(fields, {"key=value", ...}) -> expected<bytes>
//               decode_fields(fields, params) -> expected<vector<NamedValue>>
//                 driven by the generated field descriptors
//                 (find_command(...)->params / ->reply, find_event(...)->params)
//  gen/         mgmt_types.hpp (Opcode, EventCode, Status, one struct per
//                 command (Cmd::opcode, Cmd::name, Cmd::Reply), per reply, per
//                 event (Ev::code, Ev::name); T::decode(byte_span) and
//                 encode(const T&, bytes&) for each), mgmt_codes.hpp (codes,
//                 bit masks: setting::le, adv_flag::, phy::); the table
//                 data behind protocol/mgmt_tables/table.hpp (commands(), events(),
//                 find_command(), find_event()) and names.hpp
//                 (status_name(), settings_string(), ...).
//
// Wire format (mgmt-api.txt "Packet Structures"; all fields little-endian):
//
//   offset 0  u16  Command Code / Event Code
//   offset 2  u16  Controller Index (0x0000-0xFFFE, 0xFFFF = <non-controller>)
//   offset 4  u16  Parameter Length (octets that follow)
//   offset 6  ...  parameters
//
// Command Complete event (0x0001): u16 Command_Opcode, u8 Status, then the
// command's Return Parameters.  Command Status event (0x0002): u16
// Command_Opcode, u8 Status (mgmt-api.txt "Command Complete Event",
// "Command Status Event").
#pragma once

#include <cstddef>
#include <cstdint>

#include "gen/mgmt_codes.hpp"
#include "protocol/bytes.hpp"
#include "protocol/codec_error.hpp"
#include "protocol/expected.hpp"
#include "protocol/mgmt/status.hpp"

namespace bcms::mgmt {

inline constexpr std::uint16_t kNonController = 0xFFFF;
inline constexpr std::size_t kHeaderSize = 6;
inline constexpr std::size_t kMaxParams = 0xFFFF;

/// One command or event frame.  `params` borrows the decoded buffer.
struct Frame {
  std::uint16_t code = 0;   // Command Code or Event Code
  std::uint16_t index = kNonController;
  byte_span params{};
};

/// Parses the header; the Parameter Length must match the buffer exactly
/// (short: codec_errc::truncated, long: codec_errc::trailing_bytes; the
/// mgmt socket is SOCK_RAW and delivers exactly one frame per read).
expected<Frame> decode_frame(byte_span in) noexcept;

/// Header + params.  codec_errc::too_long when params exceed 65535 octets.
expected<bytes> encode_command(std::uint16_t opcode, std::uint16_t index, byte_span params);
inline expected<bytes> encode_command(Opcode opcode, std::uint16_t index, byte_span params) {
  return encode_command(static_cast<std::uint16_t>(opcode), index, params);
}
/// Same layout for events (used by tests and emulators).
expected<bytes> encode_event(std::uint16_t code, std::uint16_t index, byte_span params);

/// Typed command -> complete frame.  Propagates the generated encoder's
/// error (codec_errc::too_long when a list or data field exceeds what its
/// count/length field can express).
template <class Cmd>
expected<bytes> encode_command(const Cmd& cmd, std::uint16_t index) {
  bytes params;
  if (std::error_code ec = encode(cmd, params)) return unexpected(ec);
  return encode_command(static_cast<std::uint16_t>(Cmd::opcode), index, params);
}

/// Encoded parameters of a fixed-size command (cannot fail: no list or
/// data field can exceed its count or length).
template <class Cmd>
bytes params_of(const Cmd& cmd) {
  bytes out;
  (void)encode(cmd, out);
  return out;
}

/// Command Complete (event 0x0001) parameters.  `params` are the Return
/// Parameters and borrow the input.
struct CommandComplete {
  std::uint16_t opcode = 0;
  Status status = Status::Success;
  byte_span params{};
};
/// Command Status (event 0x0002) parameters.
struct CommandStatus {
  std::uint16_t opcode = 0;
  Status status = Status::Success;
};

/// Needs at least 3 octets (truncated otherwise); the rest is the reply.
expected<CommandComplete> parse_command_complete(byte_span params) noexcept;
/// Exactly 3 octets (truncated / trailing_bytes otherwise).
expected<CommandStatus> parse_command_status(byte_span params) noexcept;

}  // namespace bcms::mgmt
