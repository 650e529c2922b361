// GattClient reads (Core v5.4 Vol 3 Part G 4.8): Read, Read Blob (long
// values), Read Using Characteristic UUID, Read Multiple, Read Multiple
// Variable Length.
#include "src/att/gatt_client.hpp"
#include "src/att/gatt_client_internal.hpp"

namespace bcms::att {

using detail::broken;
using detail::is;

asio::awaitable<expected<std::vector<ReadByTypeRsp::Entry>>> GattClient::read_by_type_all(std::uint16_t start,
                                                                                          std::uint16_t end, Uuid type) {
  // Part G 4.5.1, 4.6.1, 4.8.2: Read By Type from the handle after the last
  // one found, until Attribute Not Found or the end of the range; handles
  // must increase (a server that would loop us forever is refused).
  std::vector<ReadByTypeRsp::Entry> out;
  std::uint32_t next = start;
  while (next <= end) {
    const Pdu req = ReadByTypeReq{static_cast<std::uint16_t>(next), end, type};
    auto rsp = co_await transact(req);
    if (!rsp) {
      if (is(rsp.error(), att_errc::attribute_not_found)) break;
      co_return unexpected(rsp.error());
    }
    auto* r = std::get_if<ReadByTypeRsp>(&*rsp);
    if (!r) co_return unexpected(broken());
    for (auto& e : r->entries) {
      if (e.handle < next || e.handle > end) co_return unexpected(broken());
      next = std::uint32_t{e.handle} + 1;
      out.push_back(std::move(e));
    }
  }
  co_return out;
}

asio::awaitable<expected<std::vector<std::pair<std::uint16_t, bytes>>>> GattClient::read_by_type(std::uint16_t start,
                                                                                                 std::uint16_t end,
                                                                                                 Uuid type) {
  auto entries = co_await read_by_type_all(start, end, type);
  if (!entries) co_return unexpected(entries.error());
  // Part G 4.8.2: nothing of that type is the server's Attribute Not Found.
  if (entries->empty()) co_return unexpected(make_error_code(att_errc::attribute_not_found));
  std::vector<std::pair<std::uint16_t, bytes>> out;
  for (auto& e : *entries) out.emplace_back(e.handle, std::move(e.value));
  co_return out;
}

asio::awaitable<expected<void>> GattClient::read_rest(std::uint16_t handle, bytes& value, std::size_t part) {
  // Part G 4.8.3: a part that fills the PDU may have more behind it; a
  // value that ends exactly on a part boundary ends with Invalid Offset or
  // Attribute Not Long.
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
  co_return expected<void>{};
}

asio::awaitable<expected<bytes>> GattClient::read(std::uint16_t handle) {
  const Pdu req = ReadReq{handle};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  const auto* r = std::get_if<ReadRsp>(&*rsp);
  if (!r) co_return unexpected(broken());
  bytes value = r->value;
  auto rest = co_await read_rest(handle, value, value.size());
  if (!rest) co_return unexpected(rest.error());
  co_return value;
}

asio::awaitable<expected<bytes>> GattClient::read_multiple(std::vector<std::uint16_t> handles) {
  if (handles.size() < 2 || handles.size() * 2 > mtu() - 1u)  // Part F 3.4.4.7
    co_return unexpected(make_error_code(std::errc::invalid_argument));
  const Pdu req = ReadMultipleReq{std::move(handles)};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  const auto* r = std::get_if<ReadMultipleRsp>(&*rsp);
  if (!r) co_return unexpected(broken());
  co_return r->values;
}

asio::awaitable<expected<std::vector<bytes>>> GattClient::read_multiple_variable(std::vector<std::uint16_t> handles) {
  if (handles.size() < 2 || handles.size() * 2 > mtu() - 1u)  // Part F 3.4.4.11
    co_return unexpected(make_error_code(std::errc::invalid_argument));
  const std::vector<std::uint16_t> asked = handles;
  const Pdu req = ReadMultipleVariableReq{std::move(handles)};
  auto rsp = co_await transact(req);
  if (!rsp) co_return unexpected(rsp.error());
  const auto* r = std::get_if<ReadMultipleVariableRsp>(&*rsp);
  // Part F 3.4.4.12: one Length Value Tuple per handle, in order; the list
  // may end early (cut at ATT_MTU), and only the last tuple may be short.
  if (!r || r->entries.size() > asked.size()) co_return unexpected(broken());
  std::vector<bytes> out;
  for (std::size_t i = 0; i < r->entries.size(); ++i) {
    const auto& e = r->entries[i];
    if (e.value.size() > e.length || (e.value.size() < e.length && i + 1 != r->entries.size()))
      co_return unexpected(broken());
    out.push_back(e.value);
  }
  // Part G 4.8.5: what the server could not fit is read with Read Blob
  // (the cut value) and Read (the values not sent at all).
  if (!out.empty() && out.back().size() < r->entries.back().length) {
    bytes& last = out.back();
    const std::size_t want = r->entries.back().length;
    while (last.size() < want) {
      const Pdu blob = ReadBlobReq{asked[out.size() - 1], static_cast<std::uint16_t>(last.size())};
      auto more = co_await transact(blob);
      if (!more) co_return unexpected(more.error());
      const auto* b = std::get_if<ReadBlobRsp>(&*more);
      if (!b || b->part.empty()) co_return unexpected(broken());
      last.insert(last.end(), b->part.begin(), b->part.end());
    }
    if (last.size() != want) co_return unexpected(broken());
  }
  while (out.size() < asked.size()) {
    auto v = co_await read(asked[out.size()]);
    if (!v) co_return unexpected(v.error());
    out.push_back(std::move(*v));
  }
  co_return out;
}

}  // namespace bcms::att
