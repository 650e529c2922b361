// ATT error codes: Core v5.4 Vol 3 Part F 3.4.1.1 table 3.4 and CSS v11
// Part B 1.2 (common profile and service error codes).
#include <doctest/doctest.h>

#include "protocol/att/att_error.hpp"

using bcms::att::att_errc;

TEST_CASE("Vol 3 Part F 3.4.1.1: error code values") {
  CHECK(static_cast<int>(att_errc::invalid_handle) == 0x01);
  CHECK(static_cast<int>(att_errc::insufficient_authentication) == 0x05);
  CHECK(static_cast<int>(att_errc::prepare_queue_full) == 0x09);
  CHECK(static_cast<int>(att_errc::attribute_not_long) == 0x0B);
  CHECK(static_cast<int>(att_errc::encryption_key_size_too_short) == 0x0C);
  CHECK(static_cast<int>(att_errc::insufficient_encryption) == 0x0F);
  CHECK(static_cast<int>(att_errc::value_not_allowed) == 0x13);
  CHECK(static_cast<int>(att_errc::cccd_improperly_configured) == 0xFD);
}

TEST_CASE("ATT error category: name, message, equality") {
  std::error_code ec = att_errc::read_not_permitted;
  CHECK(std::string(ec.category().name()) == "att");
  CHECK(ec.value() == 2);
  CHECK(ec.message() == "Read Not Permitted (0x02)");
  CHECK(ec == att_errc::read_not_permitted);
  CHECK(ec != att_errc::write_not_permitted);
  CHECK(bcms::att::name(static_cast<att_errc>(0x85)) == "Application Error");
  CHECK(bcms::att::name(static_cast<att_errc>(0x14)) == "Reserved");
  CHECK(std::error_code(static_cast<att_errc>(0x80)).message() == "Application Error (0x80)");
  CHECK(bcms::att::is_application_error(0x9F));
  CHECK_FALSE(bcms::att::is_application_error(0xA0));
}
