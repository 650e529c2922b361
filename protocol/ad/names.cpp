#include "protocol/ad/names.hpp"

#include <algorithm>
#include <array>
#include <utility>

namespace bcms::ad {
namespace {

template <class K, std::size_t N>
std::string_view lookup(const std::array<std::pair<K, std::string_view>, N>& table, K key) noexcept {
  auto it = std::find_if(table.begin(), table.end(), [key](const auto& e) { return e.first == key; });
  return it == table.end() ? std::string_view{} : it->second;
}

using P8 = std::pair<std::uint8_t, std::string_view>;
using P16 = std::pair<std::uint16_t, std::string_view>;

// Assigned Numbers 2.3 "Common Data Types".
constexpr std::array ad_types{
    P8{0x01, "Flags"},
    P8{0x02, "Incomplete List of 16-bit Service UUIDs"},
    P8{0x03, "Complete List of 16-bit Service UUIDs"},
    P8{0x04, "Incomplete List of 32-bit Service UUIDs"},
    P8{0x05, "Complete List of 32-bit Service UUIDs"},
    P8{0x06, "Incomplete List of 128-bit Service UUIDs"},
    P8{0x07, "Complete List of 128-bit Service UUIDs"},
    P8{0x08, "Shortened Local Name"},
    P8{0x09, "Complete Local Name"},
    P8{0x0a, "Tx Power Level"},
    P8{0x0d, "Class of Device"},
    P8{0x0e, "Simple Pairing Hash C-192"},
    P8{0x0f, "Simple Pairing Randomizer R-192"},
    P8{0x10, "Device ID / Security Manager TK Value"},
    P8{0x11, "Security Manager Out of Band Flags"},
    P8{0x12, "Peripheral Connection Interval Range"},
    P8{0x14, "List of 16-bit Service Solicitation UUIDs"},
    P8{0x15, "List of 128-bit Service Solicitation UUIDs"},
    P8{0x16, "Service Data - 16-bit UUID"},
    P8{0x17, "Public Target Address"},
    P8{0x18, "Random Target Address"},
    P8{0x19, "Appearance"},
    P8{0x1a, "Advertising Interval"},
    P8{0x1b, "LE Bluetooth Device Address"},
    P8{0x1c, "LE Role"},
    P8{0x1d, "Simple Pairing Hash C-256"},
    P8{0x1e, "Simple Pairing Randomizer R-256"},
    P8{0x1f, "List of 32-bit Service Solicitation UUIDs"},
    P8{0x20, "Service Data - 32-bit UUID"},
    P8{0x21, "Service Data - 128-bit UUID"},
    P8{0x22, "LE Secure Connections Confirmation Value"},
    P8{0x23, "LE Secure Connections Random Value"},
    P8{0x24, "URI"},
    P8{0x25, "Indoor Positioning"},
    P8{0x26, "Transport Discovery Data"},
    P8{0x27, "LE Supported Features"},
    P8{0x28, "Channel Map Update Indication"},
    P8{0x29, "PB-ADV"},
    P8{0x2a, "Mesh Message"},
    P8{0x2b, "Mesh Beacon"},
    P8{0x2c, "BIGInfo"},
    P8{0x2d, "Broadcast_Code"},
    P8{0x2e, "Resolvable Set Identifier"},
    P8{0x2f, "Advertising Interval - long"},
    P8{0x30, "Broadcast Name"},
    P8{0x31, "Encrypted Advertising Data"},
    P8{0x32, "Periodic Advertising Response Timing Information"},
    P8{0x34, "Electronic Shelf Label"},
    P8{0x3d, "3D Information Data"},
    P8{0xff, "Manufacturer Specific Data"},
};

// Assigned Numbers 2.6.2: appearance categories (value >> 6).
constexpr std::array categories{
    P16{0x000, "Unknown"},
    P16{0x001, "Phone"},
    P16{0x002, "Computer"},
    P16{0x003, "Watch"},
    P16{0x004, "Clock"},
    P16{0x005, "Display"},
    P16{0x006, "Remote Control"},
    P16{0x007, "Eye-glasses"},
    P16{0x008, "Tag"},
    P16{0x009, "Keyring"},
    P16{0x00a, "Media Player"},
    P16{0x00b, "Barcode Scanner"},
    P16{0x00c, "Thermometer"},
    P16{0x00d, "Heart Rate Sensor"},
    P16{0x00e, "Blood Pressure"},
    P16{0x00f, "Human Interface Device"},
    P16{0x010, "Glucose Meter"},
    P16{0x011, "Running Walking Sensor"},
    P16{0x012, "Cycling"},
    P16{0x013, "Control Device"},
    P16{0x014, "Network Device"},
    P16{0x015, "Sensor"},
    P16{0x016, "Light Fixtures"},
    P16{0x017, "Fan"},
    P16{0x018, "HVAC"},
    P16{0x019, "Air Conditioning"},
    P16{0x01a, "Humidifier"},
    P16{0x01b, "Heating"},
    P16{0x01c, "Access Control"},
    P16{0x01d, "Motorized Device"},
    P16{0x01e, "Power Device"},
    P16{0x01f, "Light Source"},
    P16{0x020, "Window Covering"},
    P16{0x021, "Audio Sink"},
    P16{0x022, "Audio Source"},
    P16{0x023, "Motorized Vehicle"},
    P16{0x024, "Domestic Appliance"},
    P16{0x025, "Wearable Audio Device"},
    P16{0x026, "Aircraft"},
    P16{0x027, "AV Equipment"},
    P16{0x028, "Display Equipment"},
    P16{0x029, "Hearing aid"},
    P16{0x02a, "Gaming"},
    P16{0x02b, "Signage"},
    P16{0x031, "Pulse Oximeter"},
    P16{0x032, "Weight Scale"},
    P16{0x033, "Personal Mobility Device"},
    P16{0x034, "Continuous Glucose Monitor"},
    P16{0x035, "Insulin Pump"},
    P16{0x036, "Medication Delivery"},
    P16{0x037, "Spirometer"},
    P16{0x051, "Outdoor Sports Activity"},
};

// Assigned Numbers 2.6.3: a few sub-categories (full 16-bit values).
constexpr std::array subcategories{
    P16{0x00c1, "Sports Watch"},
    P16{0x00c2, "Smartwatch"},
    P16{0x0301, "Ear Thermometer"},
    P16{0x0341, "Heart Rate Belt"},
    P16{0x03c1, "Keyboard"},
    P16{0x03c2, "Mouse"},
    P16{0x03c3, "Joystick"},
    P16{0x03c4, "Gamepad"},
    P16{0x03c5, "Digitizer Tablet"},
    P16{0x03c6, "Card Reader"},
    P16{0x03c7, "Digital Pen"},
    P16{0x03c8, "Barcode Scanner"},
};

// Assigned Numbers 7 "Company Identifiers": common ones, short names.
constexpr std::array companies{
    P16{0x0002, "Intel"},
    P16{0x0006, "Microsoft"},
    P16{0x000d, "Texas Instruments"},
    P16{0x000f, "Broadcom"},
    P16{0x001d, "Qualcomm"},
    P16{0x004c, "Apple"},
    P16{0x0059, "Nordic Semiconductor"},
    P16{0x0075, "Samsung"},
    P16{0x0087, "Garmin"},
    P16{0x00e0, "Google"},
    P16{0x02e5, "Espressif"},
    P16{0x0499, "Ruuvi Innovations"},
};

// Assigned Numbers 3.4 (GATT services) and 3.11 (member UUIDs): a few.
constexpr std::array uuids16{
    P16{0x1800, "Generic Access"},
    P16{0x1801, "Generic Attribute"},
    P16{0x1805, "Current Time"},
    P16{0x1809, "Health Thermometer"},
    P16{0x180a, "Device Information"},
    P16{0x180d, "Heart Rate"},
    P16{0x180f, "Battery"},
    P16{0x1810, "Blood Pressure"},
    P16{0x1812, "Human Interface Device"},
    P16{0x1816, "Cycling Speed and Cadence"},
    P16{0x181a, "Environmental Sensing"},
    P16{0xfcd2, "BTHome"},
    P16{0xfeaa, "Eddystone"},
};

}  // namespace

std::string_view ad_type_name(std::uint8_t type) noexcept { return lookup(ad_types, type); }

std::string_view flag_bit_name(unsigned bit) noexcept {
  switch (bit) {
    case 0: return "LE Limited Discoverable";
    case 1: return "LE General Discoverable";
    case 2: return "BR/EDR Not Supported";
    case 3: return "Simultaneous LE and BR/EDR (Controller)";
    case 4: return "Previously Used";
    default: return {};
  }
}

std::string_view flag_bit_key(unsigned bit) noexcept {
  switch (bit) {
    case 0: return "le_limited_discoverable";
    case 1: return "le_general_discoverable";
    case 2: return "br_edr_not_supported";
    case 3: return "le_br_edr_controller";
    case 4: return "previously_used";
    default: return {};
  }
}

std::string_view appearance_category_name(std::uint16_t category) noexcept {
  return lookup(categories, category);
}

std::string_view appearance_subcategory_name(std::uint16_t appearance) noexcept {
  return lookup(subcategories, appearance);
}

std::string_view company_name(std::uint16_t company) noexcept { return lookup(companies, company); }

std::string_view uuid16_name(std::uint16_t uuid) noexcept { return lookup(uuids16, uuid); }

std::string_view le_role_name(std::uint8_t role) noexcept {
  switch (role) {
    case 0x00: return "Peripheral only";
    case 0x01: return "Central only";
    case 0x02: return "Peripheral and Central, Peripheral preferred";
    case 0x03: return "Peripheral and Central, Central preferred";
    default: return {};
  }
}

UriScheme uri_scheme(std::uint32_t cp) noexcept {
  switch (cp) {
    case 0x01: return {true, ""};  // the text carries its own scheme
    case 0x09: return {true, "coap:"};
    case 0x0a: return {true, "coaps:"};
    case 0x10: return {true, "file:"};
    case 0x11: return {true, "ftp:"};
    case 0x16: return {true, "http:"};
    case 0x17: return {true, "https:"};
    case 0x26: return {true, "mailto:"};
    case 0x45: return {true, "tel:"};
    case 0x50: return {true, "ws:"};
    case 0x51: return {true, "wss:"};
    case 0xbb: return {true, "bluetooth:"};
    default: return {};
  }
}

}  // namespace bcms::ad
