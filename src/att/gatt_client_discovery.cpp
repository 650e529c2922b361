// GattClient discovery (Core v5.4 Vol 3 Part G 4.4-4.7): primary services,
// included services, characteristics, descriptors; each rerun once when a
// Service Changed overlapping its range arrives meanwhile (gatt_client.hpp).
#include "src/att/gatt_client.hpp"
#include "src/att/gatt_client_internal.hpp"

namespace bcms::att {

using detail::broken;
using detail::is;
using detail::uuid_of;

template <class T, class Once>
asio::awaitable<expected<T>> GattClient::rerun_on_change(std::uint16_t start, std::uint16_t end, Once once) {
  for (int run = 0;; ++run) {
    const std::size_t since = changes_.size();
    auto r = co_await once();
    if (!changed_since(since, start, end)) co_return r;
    if (run == 1) co_return unexpected(make_error_code(att_errc::database_out_of_sync));
  }
}

asio::awaitable<expected<std::vector<ServiceInfo>>> GattClient::discover_services(std::optional<Uuid> uuid) {
  co_return co_await rerun_on_change<std::vector<ServiceInfo>>(0x0001, 0xFFFF,
                                                               [this, uuid] { return services_once(uuid); });
}

asio::awaitable<expected<std::vector<IncludedServiceInfo>>> GattClient::discover_included_services(std::uint16_t start,
                                                                                                    std::uint16_t end) {
  co_return co_await rerun_on_change<std::vector<IncludedServiceInfo>>(
      start, end, [this, start, end] { return included_once(start, end); });
}

asio::awaitable<expected<std::vector<CharacteristicInfo>>> GattClient::discover_characteristics(std::uint16_t start,
                                                                                                std::uint16_t end) {
  auto r = co_await rerun_on_change<std::vector<CharacteristicInfo>>(
      start, end, [this, start, end] { return characteristics_once(start, end); });
  if (r) learn(*r);
  co_return r;
}

asio::awaitable<expected<std::vector<DescriptorInfo>>> GattClient::discover_descriptors(std::uint16_t start,
                                                                                        std::uint16_t end) {
  co_return co_await rerun_on_change<std::vector<DescriptorInfo>>(
      start, end, [this, start, end] { return descriptors_once(start, end); });
}

asio::awaitable<expected<std::vector<ServiceInfo>>> GattClient::services_once(std::optional<Uuid> uuid) {
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

asio::awaitable<expected<std::vector<IncludedServiceInfo>>> GattClient::included_once(std::uint16_t start,
                                                                                       std::uint16_t end) {
  auto entries = co_await read_by_type_all(start, end, Uuid(0x2802));
  if (!entries) co_return unexpected(entries.error());
  std::vector<IncludedServiceInfo> out;
  for (const auto& e : *entries) {
    // Part G 3.2: Included Service Handle (2), End Group Handle (2), then
    // the service UUID only when it is a 16-bit one.
    if (e.value.size() != 4 && e.value.size() != 6) co_return unexpected(broken());
    IncludedServiceInfo info{e.handle, detail::u16_at(e.value, 0), detail::u16_at(e.value, 2), Uuid()};
    if (info.end < info.start) co_return unexpected(broken());
    if (e.value.size() == 6) {
      info.uuid = Uuid(detail::u16_at(e.value, 4));
    } else {
      // A 128-bit UUID is the value of the included service's declaration.
      const Pdu req = ReadReq{info.start};
      auto rsp = co_await transact(req);
      if (!rsp) co_return unexpected(rsp.error());
      const auto* v = std::get_if<ReadRsp>(&*rsp);
      auto u = v && v->value.size() == 16 ? uuid_of(v->value) : std::nullopt;
      if (!u) co_return unexpected(broken());
      info.uuid = *u;
    }
    out.push_back(std::move(info));
  }
  co_return out;
}

asio::awaitable<expected<std::vector<CharacteristicInfo>>> GattClient::characteristics_once(std::uint16_t start,
                                                                                            std::uint16_t end) {
  auto entries = co_await read_by_type_all(start, end, Uuid(0x2803));
  if (!entries) co_return unexpected(entries.error());
  std::vector<CharacteristicInfo> out;
  for (const auto& e : *entries) {
    // Part G 3.3.1: Properties (1), Value Handle (2), UUID (2 or 16).
    if (e.value.size() < 3) co_return unexpected(broken());
    auto u = uuid_of(byte_span(e.value).subspan(3));
    const auto vh = detail::u16_at(e.value, 1);
    if (!u || vh <= e.handle) co_return unexpected(broken());
    out.push_back({e.handle, vh, e.value[0], *u});
  }
  co_return out;
}

asio::awaitable<expected<std::vector<DescriptorInfo>>> GattClient::descriptors_once(std::uint16_t start,
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

}  // namespace bcms::att
