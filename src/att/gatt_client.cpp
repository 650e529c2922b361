// GattClient core: requests (with the security retry), MTU, subscriptions,
// notifications, indications and Service Changed.  Discovery, reads and
// writes are in gatt_client_{discovery,read,write}.cpp.
#include "src/att/gatt_client.hpp"

#include <asio/associated_executor.hpp>
#include <asio/async_result.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/post.hpp>
#include <asio/use_awaitable.hpp>

#include "src/att/gatt_client_internal.hpp"

namespace bcms::att {
namespace {

using detail::broken;
using detail::is;

constexpr std::uint16_t cccd_notify_value = 0x0001, cccd_indicate_value = 0x0002;
constexpr std::uint16_t service_changed_uuid = 0x2A05;  // Part G 7.1

}  // namespace

GattClient::GattClient(std::shared_ptr<AttBearer> bearer) : bearer_(std::move(bearer)) { bearer_->set_client(this); }

GattClient::~GattClient() {
  self_.reset();
  bearer_->set_client(nullptr);
}

asio::awaitable<expected<Pdu>> GattClient::transact_once(const bytes& pdu) {
  const std::uint8_t req_op = pdu.front();
  std::shared_ptr<AttBearer> bearer = bearer_;
  auto initiation = [bearer, pdu](auto handler) mutable {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    bearer->request(pdu, [h](std::error_code ec, byte_span rsp) {
      if (!ec) return (*h)(ec, bytes(rsp.begin(), rsp.end()));
      // The bearer fails its requests before it tells its roles why it
      // ended: resume after that, so the reason (closed_why_) is known.
      auto ex = asio::get_associated_executor(*h);
      asio::post(ex, [h, ec] { (*h)(ec, bytes{}); });
    });
  };
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  auto [ec, rsp] = co_await asio::async_initiate<decltype(token), void(std::error_code, bytes)>(initiation, token);
  if (ec) co_return unexpected(closed_why_.value_or(ec));
  auto decoded = decode(rsp);
  if (!decoded) co_return unexpected(decoded.error());
  if (const auto* err = std::get_if<ErrorRsp>(&*decoded)) {
    if (err->request_opcode != req_op) co_return unexpected(broken());
    co_return unexpected(make_error_code(static_cast<att_errc>(err->error)));
  }
  co_return std::move(*decoded);
}

asio::awaitable<expected<Pdu>> GattClient::transact(const Pdu& request) {
  auto encoded = encode(request);
  if (!encoded) co_return unexpected(encoded.error());
  if (closed_why_) co_return unexpected(*closed_why_);
  auto rsp = co_await transact_once(*encoded);
  if (rsp || !co_await raise_for(rsp.error())) co_return rsp;
  co_return co_await transact_once(*encoded);  // once: a second refusal is the answer
}

asio::awaitable<bool> GattClient::raise_for(std::error_code refusal) {
  const bool encryption = is(refusal, att_errc::insufficient_encryption);
  if (!encryption && !is(refusal, att_errc::insufficient_authentication) &&
      !is(refusal, att_errc::encryption_key_size_too_short))
    co_return false;
  const ConnState& st = bearer_->state();
  if (!st.security) co_return false;
  // As BlueZ's att.c change_security(): Medium first; an encrypted link
  // refused for authentication (or key size) goes one level up.
  const SecurityLevel now = st.level();
  SecurityLevel want = SecurityLevel::medium;
  if (now >= SecurityLevel::medium) {
    if (encryption || now >= SecurityLevel::fips) co_return false;
    want = now == SecurityLevel::medium ? SecurityLevel::high : SecurityLevel::fips;
  }
  std::shared_ptr<AttBearer> bearer = bearer_;
  auto initiation = [bearer, want](auto handler) mutable {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    bearer->raise_security(want, [h](std::error_code ec) {
      auto ex = asio::get_associated_executor(*h);
      asio::post(ex, [h, ec] { (*h)(ec); });  // never inside the initiation
    });
  };
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  auto [ec] = co_await asio::async_initiate<decltype(token), void(std::error_code)>(initiation, token);
  co_return !ec && bearer_->usable() && bearer_->state().level() >= want;
}

asio::awaitable<expected<std::uint16_t>> GattClient::exchange_mtu(std::uint16_t client_rx_mtu) {
  ConnState& st = bearer_->state();
  if (st.mtu_exchanged) co_return st.mtu;  // once per connection (Vol 3 Part F 3.4.2.1)
  const Pdu req = ExchangeMtuReq{std::max(client_rx_mtu, default_mtu)};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  const auto* m = std::get_if<ExchangeMtuRsp>(&*rsp);
  if (!m) co_return unexpected(broken());
  st.mtu = std::max(default_mtu, std::min(std::max(client_rx_mtu, default_mtu), m->server_rx_mtu));
  st.mtu_exchanged = true;
  co_return st.mtu;
}

asio::awaitable<expected<GattClient::Subscription>> GattClient::subscribe(std::uint16_t value_handle,
                                                                          std::uint16_t cccd_handle, bool indications,
                                                                          ValueHandler handler) {
  // Registered first: a value sent right after the Write Response (before
  // this coroutine resumes) is already ours.
  const std::uint64_t id = next_id_++;
  handlers_.emplace(value_handle, std::make_pair(id, std::move(handler)));
  Subscription sub;
  sub.owner_ = self_;
  sub.handle_ = value_handle;
  sub.id_ = id;
  const std::uint16_t v = indications ? cccd_indicate_value : cccd_notify_value;
  const Pdu req = WriteReq{cccd_handle, bytes{static_cast<std::uint8_t>(v), static_cast<std::uint8_t>(v >> 8)}};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());  // `sub` unregisters on the way out
  if (!std::holds_alternative<WriteRsp>(*rsp)) co_return unexpected(broken());
  co_return std::move(sub);
}

asio::awaitable<expected<void>> GattClient::unsubscribe(std::uint16_t cccd_handle) {
  const Pdu req = WriteReq{cccd_handle, bytes{0x00, 0x00}};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  if (!std::holds_alternative<WriteRsp>(*rsp)) co_return unexpected(broken());
  co_return expected<void>{};
}

void GattClient::on_notification(std::uint16_t handle, byte_span value) { deliver(handle, value, false); }

void GattClient::on_indication(std::uint16_t handle, byte_span value) {
  // Part G 7.1: Service Changed carries the affected range (2 + 2 octets).
  if (handle != 0 && handle == service_changed_handle_ && value.size() == 4) {
    const std::uint16_t start = detail::u16_at(value, 0), end = detail::u16_at(value, 2);
    changes_.emplace_back(start, end);
    if (service_changed_) {
      auto cb = service_changed_;
      cb(start, end);
    }
  }
  deliver(handle, value, true);
}

void GattClient::learn(const std::vector<CharacteristicInfo>& chars) {
  for (const auto& c : chars)
    if (c.uuid == Uuid(service_changed_uuid)) service_changed_handle_ = c.value_handle;
}

bool GattClient::changed_since(std::size_t since, std::uint16_t start, std::uint16_t end) const {
  for (std::size_t i = since; i < changes_.size(); ++i)
    if (changes_[i].first <= end && changes_[i].second >= start) return true;
  return false;
}

void GattClient::deliver(std::uint16_t handle, byte_span value, bool indication) {
  if (any_) {
    auto any = any_;
    any(handle, value, indication);
  }
  // Copies: a handler may drop its own (or another) subscription.
  std::vector<ValueHandler> hs;
  auto [first, last] = handlers_.equal_range(handle);
  for (auto it = first; it != last; ++it) hs.push_back(it->second.second);
  for (auto& h : hs)
    if (h) h(value);
}

void GattClient::drop(std::uint16_t handle, std::uint64_t id) {
  auto [first, last] = handlers_.equal_range(handle);
  for (auto it = first; it != last; ++it) {
    if (it->second.first == id) {
      handlers_.erase(it);
      return;
    }
  }
}

GattClient::Subscription& GattClient::Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    owner_ = std::move(o.owner_);
    handle_ = o.handle_;
    id_ = o.id_;
  }
  return *this;
}

void GattClient::Subscription::reset() {
  if (auto o = owner_.lock()) (*o)->drop(handle_, id_);
  owner_.reset();
}

}  // namespace bcms::att
