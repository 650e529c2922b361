#include "protocol/att/att_error.hpp"

#include <string>

#include "protocol/hex.hpp"

namespace bcms::att {

std::string_view name(att_errc e) noexcept {
  switch (e) {
    case att_errc::invalid_handle: return "Invalid Handle";
    case att_errc::read_not_permitted: return "Read Not Permitted";
    case att_errc::write_not_permitted: return "Write Not Permitted";
    case att_errc::invalid_pdu: return "Invalid PDU";
    case att_errc::insufficient_authentication: return "Insufficient Authentication";
    case att_errc::request_not_supported: return "Request Not Supported";
    case att_errc::invalid_offset: return "Invalid Offset";
    case att_errc::insufficient_authorization: return "Insufficient Authorization";
    case att_errc::prepare_queue_full: return "Prepare Queue Full";
    case att_errc::attribute_not_found: return "Attribute Not Found";
    case att_errc::attribute_not_long: return "Attribute Not Long";
    case att_errc::encryption_key_size_too_short: return "Encryption Key Size Too Short";
    case att_errc::invalid_attribute_value_length: return "Invalid Attribute Value Length";
    case att_errc::unlikely_error: return "Unlikely Error";
    case att_errc::insufficient_encryption: return "Insufficient Encryption";
    case att_errc::unsupported_group_type: return "Unsupported Group Type";
    case att_errc::insufficient_resources: return "Insufficient Resources";
    case att_errc::database_out_of_sync: return "Database Out Of Sync";
    case att_errc::value_not_allowed: return "Value Not Allowed";
    case att_errc::write_request_rejected: return "Write Request Rejected";
    case att_errc::cccd_improperly_configured: return "Client Characteristic Configuration Descriptor Improperly Configured";
    case att_errc::procedure_already_in_progress: return "Procedure Already in Progress";
    case att_errc::out_of_range: return "Out of Range";
  }
  return is_application_error(static_cast<std::uint8_t>(e)) ? "Application Error" : "Reserved";
}

namespace {

class att_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "att"; }
  std::string message(int ev) const override {
    auto n = bcms::att::name(static_cast<att_errc>(ev));
    return std::string(n) + " (" + hex8(static_cast<std::uint8_t>(ev)) + ")";
  }
};

}  // namespace

const std::error_category& att_category() noexcept {
  static const att_category_impl instance;
  return instance;
}

}  // namespace bcms::att
