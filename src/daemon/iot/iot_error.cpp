#include "src/daemon/iot/iot_error.hpp"

#include <string>

namespace bcms::iot {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.iot"; }
  std::string message(int v) const override {
    switch (static_cast<errc>(v)) {
      case errc::transport: return "HTTP transfer failed";
      case errc::server_error: return "backend answered 5xx";
      case errc::client_error: return "backend refused the request (4xx)";
      case errc::unauthorized: return "backend refused the credentials";
      case errc::bad_response: return "backend answered something that is not the expected JSON";
      case errc::no_credentials: return "no credentials for the backend";
    }
    return "unknown bcms.iot error " + std::to_string(v);
  }
};

}  // namespace

const std::error_category& iot_category() noexcept {
  static const Category c;
  return c;
}

bool is_transient(std::error_code ec) noexcept {
  if (ec.category() != iot_category()) return true;  // timeouts, errno: the network
  switch (static_cast<errc>(ec.value())) {
    case errc::client_error: return false;
    default: return true;
  }
}

}  // namespace bcms::iot
