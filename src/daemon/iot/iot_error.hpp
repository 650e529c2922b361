// Errors of the IoT submission layer: one std::error_category, "bcms.iot".
//
// Transport failures keep their own codes: a transfer that ran past its
// timeout is bcms::timeout_error(); libcurl's other failures are
// errc::transport (the curl message is logged by the caller).
#pragma once

#include <system_error>

namespace bcms::iot {

enum class errc {
  transport = 1,     // libcurl could not complete the transfer (connect refused, reset, DNS)
  server_error,      // the backend answered 5xx (retried)
  client_error,      // the backend answered 4xx (not retried: the request is wrong)
  unauthorized,      // 401/403: the token was refused (a new one is fetched)
  bad_response,      // a 2xx whose body does not parse or lacks a required field (retried)
  no_credentials,    // no token file, or the token endpoint gave no access_token
};

const std::error_category& iot_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), iot_category()}; }

/// True for failures worth retrying later with backoff (the backend or the
/// network is unwell), false for answers that will not change (4xx).
bool is_transient(std::error_code ec) noexcept;

}  // namespace bcms::iot

template <>
struct std::is_error_code_enum<bcms::iot::errc> : std::true_type {};
