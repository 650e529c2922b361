// GattClient writes (Core v5.4 Vol 3 Part G 4.9): Write Without Response,
// Signed Write Without Response, Write Request, Long Writes and Reliable
// Writes (both Prepare Write + Execute Write, each echo checked).
#include "src/att/gatt_client.hpp"
#include "src/att/gatt_client_internal.hpp"
#include "src/att/signing.hpp"

namespace bcms::att {

using detail::broken;

asio::awaitable<expected<void>> GattClient::write(std::uint16_t handle, bytes value) {
  if (value.size() > max_value_len) co_return unexpected(make_error_code(att_errc::invalid_attribute_value_length));
  if (value.size() > mtu() - 3u) {
    std::vector<QueuedWrite> one;
    one.push_back({handle, std::move(value)});
    co_return co_await reliable_write(std::move(one));  // Part G 4.9.4: the same queue
  }
  const Pdu req = WriteReq{handle, std::move(value)};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  if (!std::holds_alternative<WriteRsp>(*rsp)) co_return unexpected(broken());
  co_return expected<void>{};
}

asio::awaitable<expected<void>> GattClient::reliable_write(std::vector<QueuedWrite> writes) {
  // Parts of ATT_MTU-5 octets (Part F 3.4.6.1), at their offsets.
  std::vector<PreparedWrite> parts;
  for (auto& w : writes) {
    if (w.value.size() > max_value_len) co_return unexpected(make_error_code(att_errc::invalid_attribute_value_length));
    std::size_t off = 0;
    do {
      const std::size_t n = std::min<std::size_t>(mtu() - 5u, w.value.size() - off);
      const auto from = w.value.begin() + static_cast<std::ptrdiff_t>(off);
      parts.push_back({w.handle, static_cast<std::uint16_t>(off), bytes(from, from + static_cast<std::ptrdiff_t>(n))});
      off += n;
    } while (off < w.value.size());
  }
  if (parts.empty()) co_return expected<void>{};
  co_return co_await prepare_and_execute(std::move(parts));
}

asio::awaitable<expected<void>> GattClient::prepare_and_execute(std::vector<PreparedWrite> parts) {
  // Part G 4.9.5: the server echoes each part; anything that differs (or
  // any failure) cancels the whole queue.
  std::error_code failure;
  for (auto& p : parts) {
    const Pdu req = PrepareWriteReq{p.handle, p.offset, p.value};
    auto rsp = co_await transact(req);
    if (!rsp) {
      failure = rsp.error();
      break;
    }
    const auto* echo = std::get_if<PrepareWriteRsp>(&*rsp);
    if (!echo || echo->handle != p.handle || echo->offset != p.offset || echo->value != p.value) {
      failure = broken();
      break;
    }
  }
  if (failure && !bearer_->usable()) co_return unexpected(failure);  // nothing left to cancel
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

std::error_code GattClient::signed_write(std::uint16_t handle, bytes value, SigningKey& key) {
  // Part F 3.4.5.4: opcode (1) + handle (2) + value + signature (12) <= ATT_MTU.
  if (value.size() > mtu() - 3u - signature_len) return make_error_code(att_errc::invalid_attribute_value_length);
  if (!bearer_->usable()) return asio::error::not_connected;
  SignedWriteCmd cmd{handle, std::move(value), {}};
  auto sig = att_signature(key.csrk, signed_message(cmd), key.counter);
  if (!sig) return make_error_code(std::errc::operation_not_supported);  // fail closed: nothing unsigned goes out
  cmd.signature = *sig;
  auto pdu = encode(Pdu{std::move(cmd)});
  if (!pdu) return pdu.error();
  if (auto ec = bearer_->send_pdu(std::move(*pdu))) return ec;
  ++key.counter;  // Vol 3 Part H 2.4.5: never used twice
  return {};
}

}  // namespace bcms::att
