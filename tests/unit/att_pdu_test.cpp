// ATT PDU codec: one case per PDU of Core v5.4 Vol 3 Part F 3.4, with
// byte-exact vectors written out from the PDU tables (opcode, then fields
// little-endian), decoded and re-encoded; then the malformed forms.
#include <doctest/doctest.h>

#include <initializer_list>

#include "protocol/att/pdu.hpp"
#include "protocol/codec_error.hpp"

using namespace bcms::att;
using bcms::bytes;
using bcms::codec_errc;

namespace {

bytes B(std::initializer_list<int> v) {
  bytes b;
  for (int x : v) b.push_back(static_cast<std::uint8_t>(x));
  return b;
}

template <class T>
T decode_as(const bytes& wire) {
  auto p = decode(wire);
  REQUIRE(p.has_value());
  REQUIRE(std::holds_alternative<T>(*p));
  auto again = encode(*p);
  REQUIRE(again.has_value());
  CHECK(*again == wire);  // decode then encode is the identity
  return std::get<T>(*p);
}

codec_errc decode_error(const bytes& wire) {
  auto p = decode(wire);
  REQUIRE_FALSE(p.has_value());
  return static_cast<codec_errc>(p.error().value());
}

}  // namespace

TEST_CASE("Vol 3 Part F 3.4.1.1 ATT_ERROR_RSP") {
  // Read Request on handle 0x0003 failed with Read Not Permitted.
  auto p = decode_as<ErrorRsp>(B({0x01, 0x0A, 0x03, 0x00, 0x02}));
  CHECK(p.request_opcode == 0x0A);
  CHECK(p.handle == 0x0003);
  CHECK(p.error == 0x02);
  CHECK(encode(ErrorRsp{0x12, 0x0102, 0x0F}).value() == B({0x01, 0x12, 0x02, 0x01, 0x0F}));
}

TEST_CASE("Vol 3 Part F 3.4.2.1/3.4.2.2 ATT_EXCHANGE_MTU_REQ/RSP") {
  CHECK(decode_as<ExchangeMtuReq>(B({0x02, 0x05, 0x02})).client_rx_mtu == 517);
  CHECK(decode_as<ExchangeMtuRsp>(B({0x03, 0x17, 0x00})).server_rx_mtu == 23);
  CHECK(decode_error(B({0x02, 0x05})) == codec_errc::truncated);
  CHECK(decode_error(B({0x02, 0x05, 0x02, 0x00})) == codec_errc::trailing_bytes);
}

TEST_CASE("Vol 3 Part F 3.4.3.1/3.4.3.2 ATT_FIND_INFORMATION_REQ/RSP") {
  auto q = decode_as<FindInformationReq>(B({0x04, 0x01, 0x00, 0xFF, 0xFF}));
  CHECK(q.start == 1);
  CHECK(q.end == 0xFFFF);
  // Format 0x01: handle 0x0012 type 0x2902, handle 0x0013 type 0x2901.
  auto r = decode_as<FindInformationRsp>(B({0x05, 0x01, 0x12, 0x00, 0x02, 0x29, 0x13, 0x00, 0x01, 0x29}));
  REQUIRE(r.entries.size() == 2);
  CHECK(r.entries[0].handle == 0x12);
  CHECK(r.entries[0].type == Uuid(0x2902));
  CHECK(r.entries[1].type == Uuid(0x2901));
  // Format 0x02: one 128-bit UUID.
  auto r2 = decode_as<FindInformationRsp>(B({0x05, 0x02, 0x20, 0x00, 0x9E, 0xCA, 0xDC, 0x24, 0x0E, 0xE5, 0xA9, 0xE0,
                                             0x93, 0xF3, 0xA3, 0xB5, 0x01, 0x00, 0x40, 0x6E}));
  REQUIRE(r2.entries.size() == 1);
  CHECK(r2.entries[0].type.to_string() == "6e400001-b5a3-f393-e0a9-e50e24dcca9e");
  CHECK(decode_error(B({0x05, 0x03, 0x12, 0x00, 0x02, 0x29})) == codec_errc::invalid_value);
  CHECK(decode_error(B({0x05, 0x01, 0x12, 0x00, 0x02, 0x29, 0x13})) == codec_errc::invalid_length);
  CHECK(decode_error(B({0x05, 0x01})) == codec_errc::truncated);
  // A 128-bit-only UUID cannot be written in format 0x01.
  FindInformationRsp bad{FindInformationRsp::format_16, {{1, r2.entries[0].type}}};
  CHECK_FALSE(encode(bad).has_value());
}

TEST_CASE("Vol 3 Part F 3.4.3.3/3.4.3.4 ATT_FIND_BY_TYPE_VALUE_REQ/RSP") {
  // Discover Primary Service by UUID 0x180F (Vol 3 Part G 4.4.2).
  auto q = decode_as<FindByTypeValueReq>(B({0x06, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28, 0x0F, 0x18}));
  CHECK(q.start == 1);
  CHECK(q.end == 0xFFFF);
  CHECK(q.type == 0x2800);
  CHECK(q.value == B({0x0F, 0x18}));
  auto r = decode_as<FindByTypeValueRsp>(B({0x07, 0x10, 0x00, 0x13, 0x00}));
  REQUIRE(r.entries.size() == 1);
  CHECK(r.entries[0].found == 0x10);
  CHECK(r.entries[0].group_end == 0x13);
  CHECK(decode_error(B({0x07, 0x10, 0x00, 0x13})) == codec_errc::truncated);
  CHECK(decode_error(B({0x07, 0x10, 0x00, 0x13, 0x00, 0x01})) == codec_errc::invalid_length);
}

TEST_CASE("Vol 3 Part F 3.4.4.1/3.4.4.2 ATT_READ_BY_TYPE_REQ/RSP") {
  auto q = decode_as<ReadByTypeReq>(B({0x08, 0x01, 0x00, 0x0B, 0x00, 0x03, 0x28}));
  CHECK(q.type == Uuid(0x2803));
  auto q128 = decode(B({0x08, 0x01, 0x00, 0x0B, 0x00, 0xFB, 0x34, 0x9B, 0x5F, 0x80, 0x00, 0x00, 0x80, 0x00, 0x10,
                        0x00, 0x00, 0x03, 0x28, 0x00, 0x00}));
  REQUIRE(q128);
  CHECK(std::get<ReadByTypeReq>(*q128).type == Uuid(0x2803));
  CHECK(decode_error(B({0x08, 0x01, 0x00, 0x0B, 0x00, 0x03, 0x28, 0x00})) == codec_errc::invalid_length);
  CHECK(decode_error(B({0x08, 0x01, 0x00, 0x0B, 0x00, 0x03})) == codec_errc::truncated);
  // Two characteristic declarations: length 7 = handle + props + value handle + UUID16.
  auto r = decode_as<ReadByTypeRsp>(B({0x09, 0x07, 0x02, 0x00, 0x02, 0x03, 0x00, 0x00, 0x2A, 0x04, 0x00, 0x02,
                                       0x05, 0x00, 0x01, 0x2A}));
  REQUIRE(r.entries.size() == 2);
  CHECK(r.entries[0].handle == 2);
  CHECK(r.entries[0].value == B({0x02, 0x03, 0x00, 0x00, 0x2A}));
  CHECK(r.entries[1].handle == 4);
  CHECK(decode_error(B({0x09, 0x01, 0x02, 0x00})) == codec_errc::invalid_length);
  CHECK(decode_error(B({0x09, 0x07, 0x02, 0x00, 0x02})) == codec_errc::invalid_length);
  ReadByTypeRsp mixed{{{1, B({1, 2})}, {2, B({1})}}};
  CHECK(encode(mixed).error() == codec_errc::invalid_length);
}

TEST_CASE("Vol 3 Part F 3.4.4.3-3.4.4.6 ATT_READ_REQ/RSP, ATT_READ_BLOB_REQ/RSP") {
  CHECK(decode_as<ReadReq>(B({0x0A, 0x03, 0x00})).handle == 3);
  CHECK(decode_as<ReadRsp>(B({0x0B, 0x62, 0x63, 0x6D, 0x73})).value == B({'b', 'c', 'm', 's'}));
  CHECK(decode_as<ReadRsp>(B({0x0B})).value.empty());
  auto b = decode_as<ReadBlobReq>(B({0x0C, 0x03, 0x00, 0x16, 0x00}));
  CHECK(b.handle == 3);
  CHECK(b.offset == 22);
  CHECK(decode_as<ReadBlobRsp>(B({0x0D, 0x01})).part == B({1}));
  CHECK(decode_error(B({0x0A, 0x03})) == codec_errc::truncated);
  CHECK(decode_error(B({0x0A, 0x03, 0x00, 0x00})) == codec_errc::trailing_bytes);
  CHECK(decode_error(B({0x0C, 0x03, 0x00, 0x16})) == codec_errc::truncated);
}

TEST_CASE("Vol 3 Part F 3.4.4.7/3.4.4.8 ATT_READ_MULTIPLE_REQ/RSP") {
  auto q = decode_as<ReadMultipleReq>(B({0x0E, 0x03, 0x00, 0x05, 0x00, 0x07, 0x00}));
  CHECK(q.handles == std::vector<std::uint16_t>{3, 5, 7});
  CHECK(decode_as<ReadMultipleRsp>(B({0x0F, 0x01, 0x02, 0x03})).values == B({1, 2, 3}));
  CHECK(decode_error(B({0x0E, 0x03, 0x00})) == codec_errc::truncated);  // a set is two or more
  CHECK(decode_error(B({0x0E, 0x03, 0x00, 0x05, 0x00, 0x07})) == codec_errc::invalid_length);
  CHECK(encode(ReadMultipleReq{{3}}).error() == codec_errc::invalid_value);
}

TEST_CASE("Vol 3 Part F 3.4.4.9/3.4.4.10 ATT_READ_BY_GROUP_TYPE_REQ/RSP") {
  auto q = decode_as<ReadByGroupTypeReq>(B({0x10, 0x01, 0x00, 0xFF, 0xFF, 0x00, 0x28}));
  CHECK(q.type == Uuid(0x2800));
  // Two primary services: 0x0001-0x0007 GAP, 0x0008-0x000B GATT; length 6.
  auto r = decode_as<ReadByGroupTypeRsp>(
      B({0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00, 0x18, 0x08, 0x00, 0x0B, 0x00, 0x01, 0x18}));
  REQUIRE(r.entries.size() == 2);
  CHECK(r.entries[0].group_end == 7);
  CHECK(r.entries[1].handle == 8);
  CHECK(r.entries[1].value == B({0x01, 0x18}));
  CHECK(decode_error(B({0x11, 0x03, 0x01, 0x00, 0x07, 0x00})) == codec_errc::invalid_length);
  CHECK(decode_error(B({0x11, 0x06, 0x01, 0x00, 0x07})) == codec_errc::truncated);
  CHECK(decode_error(B({0x11, 0x06, 0x01, 0x00, 0x07, 0x00, 0x00})) == codec_errc::invalid_length);
}

TEST_CASE("Vol 3 Part F 3.4.4.11/3.4.4.12 ATT_READ_MULTIPLE_VARIABLE_REQ/RSP") {
  auto q = decode_as<ReadMultipleVariableReq>(B({0x20, 0x03, 0x00, 0x05, 0x00}));
  CHECK(q.handles == std::vector<std::uint16_t>{3, 5});
  auto r = decode_as<ReadMultipleVariableRsp>(B({0x21, 0x01, 0x00, 0x64, 0x02, 0x00, 0xAA, 0xBB}));
  REQUIRE(r.entries.size() == 2);
  CHECK(r.entries[0].value == B({0x64}));
  CHECK(r.entries[1].length == 2);
  // Cut at ATT_MTU inside the last value: length says 4, two octets present.
  auto cut = decode_as<ReadMultipleVariableRsp>(B({0x21, 0x01, 0x00, 0x64, 0x04, 0x00, 0xAA, 0xBB}));
  CHECK(cut.entries[1].length == 4);
  CHECK(cut.entries[1].value == B({0xAA, 0xBB}));
  // Cut inside the Length field of the last tuple: that tuple is dropped.
  auto p = decode(B({0x21, 0x01, 0x00, 0x64, 0x04}));
  REQUIRE(p);
  CHECK(std::get<ReadMultipleVariableRsp>(*p).entries.size() == 1);
}

TEST_CASE("Vol 3 Part F 3.4.5.1-3.4.5.3 ATT_WRITE_REQ/RSP, ATT_WRITE_CMD") {
  auto w = decode_as<WriteReq>(B({0x12, 0x0D, 0x00, 0x01, 0x00}));  // enable notifications on a CCCD
  CHECK(w.handle == 0x0D);
  CHECK(w.value == B({0x01, 0x00}));
  CHECK(decode_as<WriteReq>(B({0x12, 0x0D, 0x00})).value.empty());
  decode_as<WriteRsp>(B({0x13}));
  CHECK(decode_error(B({0x13, 0x00})) == codec_errc::trailing_bytes);
  auto c = decode_as<WriteCmd>(B({0x52, 0x10, 0x00, 0xDE, 0xAD}));
  CHECK(c.handle == 0x10);
  CHECK(c.value == B({0xDE, 0xAD}));
  CHECK(decode_error(B({0x52, 0x10})) == codec_errc::truncated);
}

TEST_CASE("Vol 3 Part F 3.4.5.4 ATT_SIGNED_WRITE_CMD: value then 12-octet signature") {
  auto s = decode_as<SignedWriteCmd>(B({0xD2, 0x10, 0x00, 0x55, 0x01, 0x00, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44,
                                        0x55, 0x66, 0x77, 0x88}));
  CHECK(s.handle == 0x10);
  CHECK(s.value == B({0x55}));
  CHECK(s.sign_counter() == 1);
  CHECK(s.signature[4] == 0x11);
  CHECK(s.signature[11] == 0x88);
  CHECK(signed_message(s) == B({0xD2, 0x10, 0x00, 0x55}));
  // Handle plus a signature and no value is the shortest form.
  CHECK(decode_as<SignedWriteCmd>(B({0xD2, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})).value.empty());
  CHECK(decode_error(B({0xD2, 0x10, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})) == codec_errc::truncated);
}

TEST_CASE("Vol 3 Part F 3.4.6 ATT_PREPARE_WRITE_REQ/RSP, ATT_EXECUTE_WRITE_REQ/RSP") {
  auto p = decode_as<PrepareWriteReq>(B({0x16, 0x03, 0x00, 0x12, 0x00, 0x41, 0x42}));
  CHECK(p.handle == 3);
  CHECK(p.offset == 0x12);
  CHECK(p.value == B({0x41, 0x42}));
  auto pr = decode_as<PrepareWriteRsp>(B({0x17, 0x03, 0x00, 0x12, 0x00, 0x41, 0x42}));
  CHECK(pr.offset == 0x12);
  CHECK(decode_as<ExecuteWriteReq>(B({0x18, 0x01})).flags == ExecuteWriteReq::write);
  CHECK(decode_as<ExecuteWriteReq>(B({0x18, 0x00})).flags == ExecuteWriteReq::cancel);
  CHECK(decode_error(B({0x18, 0x02})) == codec_errc::invalid_value);
  CHECK(decode_error(B({0x18})) == codec_errc::truncated);
  decode_as<ExecuteWriteRsp>(B({0x19}));
  CHECK(decode_error(B({0x16, 0x03, 0x00, 0x12})) == codec_errc::truncated);
}

TEST_CASE("Vol 3 Part F 3.4.7 ATT_HANDLE_VALUE_NTF/IND/CFM, ATT_MULTIPLE_HANDLE_VALUE_NTF") {
  auto n = decode_as<HandleValueNtf>(B({0x1B, 0x0C, 0x00, 0x00, 0x48}));
  CHECK(n.handle == 0x0C);
  CHECK(n.value == B({0x00, 0x48}));
  auto i = decode_as<HandleValueInd>(B({0x1D, 0x03, 0x00, 0x01, 0x00, 0xFF, 0xFF}));
  CHECK(i.value == B({0x01, 0x00, 0xFF, 0xFF}));
  decode_as<HandleValueCfm>(B({0x1E}));
  auto m = decode_as<MultipleHandleValueNtf>(B({0x23, 0x0C, 0x00, 0x02, 0x00, 0x00, 0x48, 0x10, 0x00, 0x01, 0x00, 0x64}));
  REQUIRE(m.entries.size() == 2);
  CHECK(m.entries[1].handle == 0x10);
  CHECK(m.entries[1].value == B({0x64}));
  CHECK(decode_error(B({0x23, 0x0C, 0x00, 0x02, 0x00, 0x00})) == codec_errc::truncated);
  CHECK(decode_error(B({0x23, 0x0C, 0x00, 0x00, 0x00, 0x10})) == codec_errc::truncated);
  CHECK(decode_error(B({0x1E, 0x00})) == codec_errc::trailing_bytes);
}

TEST_CASE("Vol 3 Part F 3.3.1: unknown opcodes and empty input") {
  CHECK(decode_error(B({})) == codec_errc::truncated);
  CHECK(decode_error(B({0x00})) == codec_errc::unknown_opcode);
  CHECK(decode_error(B({0x14, 0x00})) == codec_errc::unknown_opcode);  // reserved
  CHECK(decode_error(B({0x92, 0x01, 0x00})) == codec_errc::unknown_opcode);  // signature flag, not 0xD2
  CHECK(decode_error(B({0x7F})) == codec_errc::unknown_opcode);
}

TEST_CASE("Opcode table: one entry per PDU, sorted, with the spec section") {
  auto t = opcode_table();
  CHECK(t.size() == std::variant_size_v<Pdu>);
  for (std::size_t i = 0; i < t.size(); ++i) {
    CAPTURE(t[i].name);
    CHECK(t[i].section.starts_with("Core v5.4 Vol 3 Part F 3.4."));
    CHECK(find_opcode(static_cast<std::uint8_t>(t[i].opcode)) == &t[i]);
    if (i > 0) CHECK(t[i - 1].opcode < t[i].opcode);
    // Command Flag (bit 6) is set exactly on the commands (3.3.1).
    CHECK(((static_cast<std::uint8_t>(t[i].opcode) & command_flag) != 0) == (t[i].kind == PduKind::command));
  }
  CHECK(name(Opcode::read_by_group_type_req) == "ATT_READ_BY_GROUP_TYPE_REQ");
  CHECK(opcode_of(Pdu{HandleValueCfm{}}) == Opcode::handle_value_cfm);
  CHECK(opcode_of(Pdu{SignedWriteCmd{}}) == Opcode::signed_write_cmd);
}
