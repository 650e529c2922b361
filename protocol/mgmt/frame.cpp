#include "protocol/mgmt/frame.hpp"

namespace bcms::mgmt {

expected<Frame> decode_frame(byte_span in) noexcept {
  // mgmt-api.txt "Packet Structures": code u16, index u16, length u16.
  ByteReader r(in);
  Frame f;
  std::uint16_t len = 0;
  r.u16(f.code);
  r.u16(f.index);
  r.u16(len);
  if (!r.ok()) return fail(codec_errc::truncated);
  if (r.remaining() < len) return fail(codec_errc::truncated);
  if (r.remaining() > len) return fail(codec_errc::trailing_bytes);
  f.params = r.rest();
  return f;
}

namespace {

expected<bytes> frame(std::uint16_t code, std::uint16_t index, byte_span params) {
  if (params.size() > kMaxParams) return fail(codec_errc::too_long);
  bytes out;
  out.reserve(kHeaderSize + params.size());
  ByteWriter w(out);
  w.u16(code);
  w.u16(index);
  w.u16(static_cast<std::uint16_t>(params.size()));
  w.raw(params);
  return out;
}

}  // namespace

expected<bytes> encode_command(std::uint16_t opcode, std::uint16_t index, byte_span params) {
  return frame(opcode, index, params);
}

expected<bytes> encode_event(std::uint16_t code, std::uint16_t index, byte_span params) {
  return frame(code, index, params);
}

expected<CommandComplete> parse_command_complete(byte_span params) noexcept {
  // mgmt-api.txt "Command Complete Event": Command_Opcode u16, Status u8,
  // Return_Parameters (the rest).
  ByteReader r(params);
  CommandComplete cc;
  std::uint8_t status = 0;
  r.u16(cc.opcode);
  r.u8(status);
  if (!r.ok()) return fail(codec_errc::truncated);
  cc.status = static_cast<Status>(status);
  cc.params = r.rest();
  return cc;
}

expected<CommandStatus> parse_command_status(byte_span params) noexcept {
  // mgmt-api.txt "Command Status Event": Command_Opcode u16, Status u8.
  ByteReader r(params);
  CommandStatus cs;
  std::uint8_t status = 0;
  r.u16(cs.opcode);
  r.u8(status);
  if (!r.ok()) return fail(codec_errc::truncated);
  if (!r.empty()) return fail(codec_errc::trailing_bytes);
  cs.status = static_cast<Status>(status);
  return cs;
}

}  // namespace bcms::mgmt
