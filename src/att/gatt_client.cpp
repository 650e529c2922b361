#include "src/att/gatt_client.hpp"

#include <asio/async_result.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>

#include "protocol/att/att_error.hpp"
#include "protocol/codec_error.hpp"

namespace bcms::att {
namespace {

constexpr std::uint16_t cccd_notify_value = 0x0001, cccd_indicate_value = 0x0002;

std::error_code broken() { return make_error_code(codec_errc::invalid_value); }

/// A service or characteristic UUID as GATT declarations carry it.
std::optional<Uuid> uuid_of(byte_span v) {
  if (v.size() == 2) return Uuid(static_cast<std::uint16_t>(v[0] | (v[1] << 8)));
  if (v.size() == 16) {
    std::array<std::uint8_t, 16> le{};
    std::copy(v.begin(), v.end(), le.begin());
    return Uuid::from128_le(le);
  }
  return std::nullopt;
}

bool is(const std::error_code& ec, att_errc e) { return ec == make_error_code(e); }

}  // namespace

GattClient::GattClient(std::shared_ptr<AttBearer> bearer) : bearer_(std::move(bearer)) { bearer_->set_client(this); }

GattClient::~GattClient() {
  self_.reset();
  bearer_->set_client(nullptr);
}

asio::awaitable<expected<Pdu>> GattClient::transact(const Pdu& request) {
  auto encoded = encode(request);
  if (!encoded) co_return unexpected(encoded.error());
  const std::uint8_t req_op = encoded->front();
  std::shared_ptr<AttBearer> bearer = bearer_;
  auto initiation = [bearer, pdu = std::move(*encoded)](auto handler) mutable {
    auto h = std::make_shared<decltype(handler)>(std::move(handler));
    bearer->request(std::move(pdu), [h](std::error_code ec, byte_span rsp) { (*h)(ec, bytes(rsp.begin(), rsp.end())); });
  };
  const auto token = asio::experimental::as_tuple(asio::use_awaitable);
  auto [ec, rsp] = co_await asio::async_initiate<decltype(token), void(std::error_code, bytes)>(initiation, token);
  if (ec) co_return unexpected(ec);
  auto decoded = decode(rsp);
  if (!decoded) co_return unexpected(decoded.error());
  if (const auto* err = std::get_if<ErrorRsp>(&*decoded)) {
    if (err->request_opcode != req_op) co_return unexpected(broken());
    co_return unexpected(make_error_code(static_cast<att_errc>(err->error)));
  }
  co_return std::move(*decoded);
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

asio::awaitable<expected<std::vector<ServiceInfo>>> GattClient::discover_services(std::optional<Uuid> uuid) {
  std::vector<ServiceInfo> out;
  std::uint32_t start = 0x0001;
  while (start <= 0xFFFF) {
    const auto s = static_cast<std::uint16_t>(start);
    Pdu req;
    if (uuid) {
      bytes value;
      ByteWriter w(value);
      uuid->encode(w);
      req = FindByTypeValueReq{s, 0xFFFF, 0x2800, std::move(value)};
    } else {
      req = ReadByGroupTypeReq{s, 0xFFFF, Uuid(0x2800)};
    }
    auto rsp = co_await transact(req);
    if (!rsp) {
      if (is(rsp.error(), att_errc::attribute_not_found)) break;  // Part G 4.4.1: done
      co_return unexpected(rsp.error());
    }
    std::uint16_t last = 0;
    if (uuid) {
      const auto* r = std::get_if<FindByTypeValueRsp>(&*rsp);
      if (!r) co_return unexpected(broken());
      for (const auto& e : r->entries) {
        if (e.found < start || e.group_end < e.found || (last && e.found <= last)) co_return unexpected(broken());
        out.push_back({e.found, e.group_end, *uuid});
        last = e.group_end;
      }
    } else {
      const auto* r = std::get_if<ReadByGroupTypeRsp>(&*rsp);
      if (!r) co_return unexpected(broken());
      for (const auto& e : r->entries) {
        auto u = uuid_of(e.value);
        if (!u || e.handle < start || e.group_end < e.handle || (last && e.handle <= last))
          co_return unexpected(broken());
        out.push_back({e.handle, e.group_end, *u});
        last = e.group_end;
      }
    }
    if (last == 0xFFFF) break;
    start = std::uint32_t{last} + 1;
  }
  co_return out;
}

asio::awaitable<expected<std::vector<CharacteristicInfo>>> GattClient::discover_characteristics(std::uint16_t start,
                                                                                                std::uint16_t end) {
  std::vector<CharacteristicInfo> out;
  std::uint32_t next = start;
  while (next <= end) {
    const Pdu req = ReadByTypeReq{static_cast<std::uint16_t>(next), end, Uuid(0x2803)};
    auto rsp = co_await transact(req);
    if (!rsp) {
      if (is(rsp.error(), att_errc::attribute_not_found)) break;  // Part G 4.6.1: done
      co_return unexpected(rsp.error());
    }
    const auto* r = std::get_if<ReadByTypeRsp>(&*rsp);
    if (!r) co_return unexpected(broken());
    for (const auto& e : r->entries) {
      // Part G 3.3.1: Properties (1), Value Handle (2), UUID (2 or 16).
      if (e.handle < next || e.handle > end || e.value.size() < 3) co_return unexpected(broken());
      auto u = uuid_of(byte_span(e.value).subspan(3));
      const auto vh = static_cast<std::uint16_t>(e.value[1] | (e.value[2] << 8));
      if (!u || vh <= e.handle) co_return unexpected(broken());
      out.push_back({e.handle, vh, e.value[0], *u});
      next = std::uint32_t{e.handle} + 1;
    }
  }
  co_return out;
}

asio::awaitable<expected<std::vector<DescriptorInfo>>> GattClient::discover_descriptors(std::uint16_t start,
                                                                                        std::uint16_t end) {
  std::vector<DescriptorInfo> out;
  std::uint32_t next = start;
  while (next <= end) {
    const Pdu req = FindInformationReq{static_cast<std::uint16_t>(next), end};
    auto rsp = co_await transact(req);
    if (!rsp) {
      if (is(rsp.error(), att_errc::attribute_not_found)) break;  // Part G 4.7.1: done
      co_return unexpected(rsp.error());
    }
    const auto* r = std::get_if<FindInformationRsp>(&*rsp);
    if (!r) co_return unexpected(broken());
    for (const auto& e : r->entries) {
      if (e.handle < next || e.handle > end) co_return unexpected(broken());
      out.push_back({e.handle, e.type});
      next = std::uint32_t{e.handle} + 1;
    }
  }
  co_return out;
}

asio::awaitable<expected<std::vector<std::pair<std::uint16_t, bytes>>>> GattClient::read_by_type(std::uint16_t start,
                                                                                                 std::uint16_t end,
                                                                                                 Uuid type) {
  std::vector<std::pair<std::uint16_t, bytes>> out;
  std::uint32_t next = start;
  while (next <= end) {
    const Pdu req = ReadByTypeReq{static_cast<std::uint16_t>(next), end, type};
    auto rsp = co_await transact(req);
    if (!rsp) {
      if (is(rsp.error(), att_errc::attribute_not_found) && !out.empty()) break;
      co_return unexpected(rsp.error());
    }
    const auto* r = std::get_if<ReadByTypeRsp>(&*rsp);
    if (!r) co_return unexpected(broken());
    for (const auto& e : r->entries) {
      if (e.handle < next || e.handle > end) co_return unexpected(broken());
      out.emplace_back(e.handle, e.value);
      next = std::uint32_t{e.handle} + 1;
    }
  }
  co_return out;
}

asio::awaitable<expected<bytes>> GattClient::read(std::uint16_t handle) {
  const Pdu req = ReadReq{handle};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  const auto* r = std::get_if<ReadRsp>(&*rsp);
  if (!r) co_return unexpected(broken());
  bytes value = r->value;
  // Part G 4.8.3: a part that fills the PDU may have more behind it.
  std::size_t part = value.size();
  while (part == mtu() - 1u && value.size() < max_value_len) {
    const Pdu blob = ReadBlobReq{handle, static_cast<std::uint16_t>(value.size())};
    auto more = co_await transact(blob);
    if (!more) {
      if (is(more.error(), att_errc::attribute_not_long) || is(more.error(), att_errc::invalid_offset)) break;
      co_return unexpected(more.error());
    }
    const auto* b = std::get_if<ReadBlobRsp>(&*more);
    if (!b) co_return unexpected(broken());
    value.insert(value.end(), b->part.begin(), b->part.end());
    part = b->part.size();
  }
  co_return value;
}

asio::awaitable<expected<void>> GattClient::write(std::uint16_t handle, bytes value) {
  if (value.size() > max_value_len) co_return unexpected(make_error_code(att_errc::invalid_attribute_value_length));
  if (value.size() <= mtu() - 3u) {
    const Pdu req = WriteReq{handle, std::move(value)};
    auto rsp = co_await transact(req);
    if (!rsp) co_return unexpected(rsp.error());
    if (!std::holds_alternative<WriteRsp>(*rsp)) co_return unexpected(broken());
    co_return expected<void>{};
  }
  // Part G 4.9.4: Prepare Write parts of ATT_MTU-5, each echoed back, then
  // Execute Write; anything wrong cancels the queue.
  std::error_code failure;
  for (std::size_t off = 0; off < value.size() && !failure;) {
    const std::size_t n = std::min<std::size_t>(mtu() - 5u, value.size() - off);
    bytes part(value.begin() + static_cast<std::ptrdiff_t>(off), value.begin() + static_cast<std::ptrdiff_t>(off + n));
    const Pdu req = PrepareWriteReq{handle, static_cast<std::uint16_t>(off), part};
    auto rsp = co_await transact(req);
    if (!rsp) {
      failure = rsp.error();
      break;
    }
    const auto* echo = std::get_if<PrepareWriteRsp>(&*rsp);
    if (!echo || echo->handle != handle || echo->offset != off || echo->value != part) failure = broken();
    off += n;
  }
  const Pdu exec = ExecuteWriteReq{failure ? ExecuteWriteReq::cancel : ExecuteWriteReq::write};
  auto done = co_await transact(exec);
  if (failure) co_return unexpected(failure);
  if (!done) co_return unexpected(done.error());
  if (!std::holds_alternative<ExecuteWriteRsp>(*done)) co_return unexpected(broken());
  co_return expected<void>{};
}

std::error_code GattClient::write_without_response(std::uint16_t handle, bytes value) {
  if (value.size() > mtu() - 3u) return make_error_code(att_errc::invalid_attribute_value_length);
  auto pdu = encode(Pdu{WriteCmd{handle, std::move(value)}});
  if (!pdu) return pdu.error();
  return bearer_->send_pdu(std::move(*pdu));
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
void GattClient::on_indication(std::uint16_t handle, byte_span value) { deliver(handle, value, true); }

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
