// mgmt framing (mgmt-api.txt "Packet Structures"), Command Complete /
// Command Status parsing, the "mgmt" error category, dispatch size checks.
#include <doctest/doctest.h>

#include "protocol/codec_error.hpp"
#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"
#include "protocol/mgmt_tables/names.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/mgmt_tables/table.hpp"
#include "tests/unit/mgmt_test_util.hpp"

using namespace bcms;
using namespace bcms::mgmt;
using bcms::mgmt::test::hx;

TEST_CASE("encode_command: header is code, index, length, little-endian") {
  auto f = encode_command(Opcode::SetPowered, 0, hx("01"));
  REQUIRE(f);
  CHECK(*f == hx("05 00 00 00 01 00 01"));
  auto g = encode_command(0x0001, kNonController, {});
  REQUIRE(g);
  CHECK(*g == hx("01 00 FF FF 00 00"));
}

TEST_CASE("encode_command: typed command") {
  auto f = encode_command(SetDiscoverable{.discoverable = 2, .timeout = 30}, 1);
  REQUIRE(f);
  CHECK(*f == hx("06 00 01 00 03 00 02 1E 00"));
}

TEST_CASE("encode_command: parameters longer than 65535 octets") {
  bytes big(0x10000, 0);
  CHECK(encode_command(0x0013, 0, big).error() == codec_errc::too_long);
}

TEST_CASE("decode_frame: length field checked against the buffer") {
  auto f = decode_frame(hx("13 00 00 00 02 00 01 01"));
  REQUIRE(f);
  CHECK(f->code == 0x0013);
  CHECK(f->index == 0);
  CHECK(f->params.size() == 2);
  CHECK(decode_frame(hx("13 00 00 00 03 00 01 01")).error() == codec_errc::truncated);
  CHECK(decode_frame(hx("13 00 00 00 01 00 01 01")).error() == codec_errc::trailing_bytes);
  for (std::size_t n = 0; n < 6; ++n) CHECK(decode_frame(bytes(n, 0)).error() == codec_errc::truncated);
}

TEST_CASE("Command Complete / Command Status parameter parsing") {
  auto cc = parse_command_complete(hx("05 00 00 C1 0A 00 00"));
  REQUIRE(cc);
  CHECK(cc->opcode == 0x0005);
  CHECK(cc->status == Status::Success);
  CHECK(cc->params.size() == 4);
  CHECK(parse_command_complete(hx("05 00")).error() == codec_errc::truncated);
  CHECK(parse_command_status(hx("05 00")).error() == codec_errc::truncated);
  CHECK(parse_command_status(hx("05 00 0A 00")).error() == codec_errc::trailing_bytes);
}

TEST_CASE("decode_reply: status, opcode and size checks") {
  CommandComplete ok{0x0005, Status::Success, {}};
  const bytes rp = hx("C1 0A 00 00");
  ok.params = rp;
  auto r = decode_reply<SetPowered>(ok);
  REQUIRE(r);
  CHECK(r->current_settings == 0x0AC1);

  CommandComplete busy{0x0005, Status::Busy, {}};
  CHECK(decode_reply<SetPowered>(busy).error() == make_error_code(Status::Busy));

  CHECK(decode_reply<SetConnectable>(ok).error() == codec_errc::invalid_value);  // other opcode

  const bytes short_rp = hx("C1 0A 00");
  CommandComplete shortr{0x0005, Status::Success, short_rp};
  CHECK(decode_reply<SetPowered>(shortr).error() == codec_errc::truncated);
  const bytes long_rp = hx("C1 0A 00 00 00");
  CommandComplete longr{0x0005, Status::Success, long_rp};
  CHECK(decode_reply<SetPowered>(longr).error() == codec_errc::trailing_bytes);
}

TEST_CASE("mgmt error category: name and messages") {
  std::error_code ec = Status::Busy;
  CHECK(ec.category().name() == std::string("mgmt"));
  CHECK(ec.message() == "Busy (0x0a)");
  CHECK(make_error_code(Status::PermissionDenied).message() == "Permission Denied (0x14)");
  CHECK(make_error_code(Status::InvalidParameters).message() == "Invalid Parameters (0x0d)");
  CHECK(make_error_code(static_cast<Status>(0x7F)).message() == "Unknown status (0x7f)");
  CHECK_FALSE(make_error_code(Status::Success));
  CHECK(ec != make_error_code(codec_errc::invalid_value));
}

TEST_CASE("status names: the whole Error Codes table") {
  // mgmt-api.txt "Error Codes": 0x00-0x14
  CHECK(status_name(Status::Success) == "Success");
  CHECK(status_name(Status::UnknownCommand) == "Unknown Command");
  CHECK(status_name(static_cast<Status>(0x0A)) == "Busy");
  CHECK(status_name(static_cast<Status>(0x12)) == "RFKilled");
  CHECK(status_name(static_cast<Status>(0x14)) == "Permission Denied");
  CHECK(status_name(static_cast<Status>(0x15)).empty());
}

TEST_CASE("settings names as btmgmt prints them") {
  CHECK(settings_string(0x00000AC1) == "powered ssp br/edr le secure-conn");
  CHECK(settings_string(0x00000E41) == "powered ssp le advertising secure-conn");
  CHECK(settings_string(0) == "");
  CHECK(settings_string(1u << 22) == "ll-privacy");
  CHECK(settings_string(1u << 30) == "bit30");
  REQUIRE(setting_names().size() == 23);
  CHECK(setting_names()[7].value == 7);
  CHECK(setting_names()[7].name == "br/edr");
  CHECK(setting_names()[17].name == "wide-band-speech");
}

TEST_CASE("value tables from the prose") {
  auto* io = find_value_table(false, 0x0018, "IO_Capability");
  REQUIRE(io);
  CHECK_FALSE(io->bits);
  CHECK(value_name(*io, 3) == "NoInputNoOutput");
  auto* df = find_value_table(true, 0x0012, "Flags");
  REQUIRE(df);
  CHECK(df->bits);
  CHECK(value_name(*df, 5) == "Scan Response");
  auto* reason = find_value_table(true, 0x000C, "Reason");
  REQUIRE(reason);
  CHECK(value_name(*reason, 3) == "Connection terminated by remote host");
}

TEST_CASE("check_size: the table rule") {
  CHECK_FALSE(check_size(4, 4, false));
  CHECK(check_size(3, 4, false) == codec_errc::truncated);
  CHECK(check_size(5, 4, false) == codec_errc::trailing_bytes);
  CHECK_FALSE(check_size(100, 14, true));
  CHECK(check_size(13, 14, true) == codec_errc::truncated);
}

TEST_CASE("decode_event: unknown code") {
  CHECK(decode_event(0x00FF, {}).error() == codec_errc::unknown_opcode);
  CHECK(decode_event(0x0000, {}).error() == codec_errc::unknown_opcode);
}
