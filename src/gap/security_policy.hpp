// When the peripheral asks the central to raise the link's security.
//
// GattServer answers a request that needs encryption with Insufficient
// Encryption / Authentication (Core v5.4 Vol 3 Part F 3.4.1.1) and calls
// LinkSecurity::request(), which on Linux is setsockopt(BT_SECURITY) on the
// ATT socket: the kernel sends an SMP Security Request (Vol 3 Part H 3.6.7)
// and puts the L2CAP channel in BT_CONFIG until the link is encrypted.
// Measured in the VM (Linux 6.12, tests/vm/gatt_pairing.sh): while in
// BT_CONFIG, sendmsg() on the socket fails with ENOTCONN, so when the
// request runs BEFORE the error response is sent, the response is lost and
// the bearer ends; received PDUs are dropped too, and if pairing fails the
// channel stays in BT_CONFIG.
//
// Centrals raise security themselves on those errors (Vol 3 Part C 10.3.2;
// gatttool --sec-level, Android and iOS do), so by default the peripheral
// does not ask (SecurityRequest::never).  SecurityRequest::after_response
// posts the request to the loop, after the error response has been handed
// to the socket, for centrals that wait to be asked.
#pragma once

#include <asio/io_context.hpp>
#include <memory>

#include "src/att/link_security.hpp"

namespace bcms::gap {

enum class SecurityRequest : std::uint8_t { never, after_response };

/// Wraps the socket's LinkSecurity with a SecurityRequest policy.
class PolicyLinkSecurity final : public att::LinkSecurity {
 public:
  PolicyLinkSecurity(std::unique_ptr<att::LinkSecurity> inner, SecurityRequest policy, asio::io_context& io)
      : inner_(std::move(inner)), policy_(policy), io_(io) {}
  [[nodiscard]] att::SecurityLevel level() const override { return inner_->level(); }
  [[nodiscard]] std::uint8_t key_size() const override { return inner_->key_size(); }
  std::error_code request(att::SecurityLevel wanted) override;
  [[nodiscard]] std::uint64_t requests() const noexcept { return requests_; }

 private:
  std::shared_ptr<att::LinkSecurity> inner_;
  SecurityRequest policy_;
  asio::io_context& io_;
  std::uint64_t requests_ = 0;
};

}  // namespace bcms::gap
