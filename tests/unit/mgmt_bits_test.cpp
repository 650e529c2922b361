// The bit masks and words generated from the prose tables of mgmt-api.txt
// (BlueZ 5.82): each expected value below is copied from the spec's table
// (section named in the test), not from the generator.
#include <doctest/doctest.h>

#include "gen/mgmt_codes.hpp"
#include "protocol/mgmt_tables/names.hpp"

using namespace bcms::mgmt;

namespace {

// The description the spec's table gives to `bit` of (command, param).
std::string_view spec_text(std::uint16_t opcode, std::string_view param, std::uint32_t bit) {
  const ValueTable* t = find_value_table(false, opcode, param);
  REQUIRE(t);
  CHECK(t->bits);
  return value_name(*t, bit);
}

}  // namespace

TEST_CASE("setting masks: Current_Settings table of Read Controller Information") {
  CHECK(setting::powered == 0x00000001);
  CHECK(setting::connectable == 0x00000002);
  CHECK(setting::bondable == 0x00000010);
  CHECK(setting::br_edr == 0x00000080);
  CHECK(setting::le == 0x00000200);  // "9  Low Energy"
  CHECK(setting::advertising == 0x00000400);
  CHECK(setting::secure_conn == 0x00000800);
  CHECK(setting::privacy == 0x00002000);
  CHECK(setting::ll_privacy == 0x00400000);  // "22  LL Privacy"
  CHECK(spec_text(0x0004, "Current_Settings", 9) == "Low Energy");
  CHECK(spec_text(0x0004, "Current_Settings", 10) == "Advertising");
  CHECK(settings_string(setting::le | setting::powered) == "powered le");
}

TEST_CASE("advertising flag masks: Add Advertising / Add Extended Advertising Parameters Flags") {
  CHECK(adv_flag::connectable == 1u << 0);  // "0  Switch into Connectable mode"
  CHECK(adv_flag::general_discoverable == 1u << 1);
  CHECK(adv_flag::limited_discoverable == 1u << 2);
  CHECK(adv_flag::managed_flags == 1u << 3);
  CHECK(adv_flag::tx_power == 1u << 4);
  CHECK(adv_flag::scan_rsp_appearance == 1u << 5);
  CHECK(adv_flag::scan_rsp_local_name == 1u << 6);
  CHECK(adv_flag::secondary_channel_1m == 1u << 7);
  CHECK(adv_flag::secondary_channel_coded == 1u << 9);
  CHECK(adv_flag::duration == 1u << 12);  // "12  The Duration parameter should be used"
  CHECK(adv_flag::scan_rsp_data == 1u << 16);
  CHECK(spec_text(0x003E, "Flags", 1) == "Advertise as Discoverable");
  CHECK(spec_text(0x003D, "Supported_Flags", 7) == "Secondary Channel with LE 1M");
  CHECK(spec_text(0x0054, "Flags", 16) == "The advertisement will contain a scan response");
  // the words bcms-mgmt prints: btmgmt's for bits 0-9
  CHECK(bit_words(adv_flag_names(), adv_flag::connectable | adv_flag::secondary_channel_coded) ==
        "connectable Secondary-channel-CODED ");
  CHECK(bit_words(adv_flag_names(), 1u << 31).empty());
}

TEST_CASE("PHY masks: the bitmask of Get PHY Configuration") {
  CHECK(phy::br_1m_1_slot == 1u << 0);  // "0  BR 1M 1-Slot"
  CHECK(phy::edr_3m_5_slot == 1u << 8);
  CHECK(phy::le_1m_tx == 1u << 9);  // "9  LE 1M TX"
  CHECK(phy::le_1m_rx == 1u << 10);
  CHECK(phy::le_2m_tx == 1u << 11);
  CHECK(phy::le_coded_rx == 1u << 14);  // "14  LE Coded RX"
  // the table is attached to each of the three PHYs parameters
  CHECK(spec_text(0x0044, "Supported_PHYs", 13) == "LE Coded TX");
  CHECK(spec_text(0x0044, "Configurable_PHYs", 0) == "BR 1M 1-Slot");
  CHECK(spec_text(0x0044, "Selected_PHYs", 12) == "LE 2M RX");
  REQUIRE(phy_names().size() == 15);
  CHECK(bit_words(phy_names(), phy::br_1m_1_slot | phy::le_1m_tx | phy::le_coded_rx) == "BR1M1SLOT LE1MTX LECODEDRX ");
}

TEST_CASE("discovery type masks: Address_Type of Start Discovery") {
  CHECK(discovery_type::br_edr == 1);     // "0  BR/EDR"
  CHECK(discovery_type::le_public == 2);  // "1  LE Public"
  CHECK(discovery_type::le_random == 4);  // "2  LE Random"
  CHECK(spec_text(0x0023, "Address_Type", 2) == "LE Random");
}
