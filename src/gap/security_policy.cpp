#include "src/gap/security_policy.hpp"

#include <asio/post.hpp>

namespace bcms::gap {

std::error_code PolicyLinkSecurity::request(att::SecurityLevel wanted) {
  ++requests_;
  if (policy_ == SecurityRequest::never) return {};
  // After the handler that produced the error response has returned (the
  // bearer hands the response to the socket synchronously when it can).
  std::weak_ptr<att::LinkSecurity> inner = inner_;
  asio::post(io_, [inner, wanted] {
    if (auto s = inner.lock()) s->request(wanted);
  });
  return {};
}

}  // namespace bcms::gap
