#include "src/collector/collector.hpp"

#include <asio/co_spawn.hpp>
#include <spdlog/spdlog.h>

#include "gen/mgmt_types.hpp"
#include "src/att/gatt_client.hpp"

namespace bcms::collector {

Collector::Collector(asio::any_io_executor ex, Sink sink, Options opts, Clock clock)
    : ex_(std::move(ex)),
      sink_(std::move(sink)),
      opts_(opts),
      clock_(std::move(clock)),
      sampler_(opts.sample_period) {}

std::error_code Collector::on_device_found(byte_span params) {
  auto ev = mgmt::DeviceFoundEvent::decode(params);
  if (!ev) return ev.error();
  on_device_found(*ev);
  return {};
}

void Collector::on_device_found(const mgmt::DeviceFoundEvent& ev) {
  on_advertisement(Peer{ev.address, ev.address_type}, ad::parse_ad(ev.eir_data));
}

void Collector::on_advertisement(const Peer& device, const ad::AdData& ad) {
  const auto now = clock_.steady();
  auto items = passive_.decode(device, ad, now);
  // Sampling per (device, type), decided once per type and advertisement.
  std::vector<std::pair<std::string_view, bool>> decided;
  const std::string key = items.empty() ? std::string() : device.to_string();
  for (auto& item : items) {
    auto d = std::ranges::find(decided, item.reading.type, &std::pair<std::string_view, bool>::first);
    if (d == decided.end()) {
      decided.emplace_back(item.reading.type, sampler_.take(key, item.reading.type, now));
      d = decided.end() - 1;
    }
    if (d->second)
      deliver(device, std::move(item.reading), item.source);
    else
      ++stats_.sampled_out;
  }
  if (opts_.active && connect_) maybe_connect(device, ad);
}

mgmt::Subscription Collector::attach(mgmt::MgmtChannel& channel, std::uint16_t index) {
  return channel.subscribe<mgmt::DeviceFoundEvent>(index, [this](std::uint16_t, const mgmt::DeviceFoundEvent& ev) {
    on_device_found(ev);
  });
}

void Collector::deliver(const Peer& device, sensor::Reading r, std::string_view source) {
  ++stats_.delivered;
  sink_(Collected{device, std::move(r), clock_.wall(), source});
}

void Collector::maybe_connect(const Peer& device, const ad::AdData& ad) {
  if (busy_.contains(device.addr)) return;
  if (admit_ && !admit_(device)) return;
  const auto now = clock_.steady();
  if (auto it = last_attempt_.find(device.addr); it != last_attempt_.end() && now - it->second < opts_.reconnect_after)
    return;
  const ad::LocalName* name = ad.name();
  const auto uuids = ad.uuids16();
  const Profile* profile = match_profile(opts_.profiles, name ? std::string_view(name->name) : std::string_view{}, uuids);
  if (!profile) return;
  busy_.insert(device.addr);
  last_attempt_[device.addr] = now;
  asio::co_spawn(ex_, collect(device, *profile), [this, device, name = profile->name](std::exception_ptr e,
                                                                                      expected<ProcedureReport> r) {
    busy_.erase(device.addr);
    last_attempt_[device.addr] = clock_.steady();
    if (e || !r) {
      ++stats_.procedures_failed;
      if (opts_.retry_after_failure < opts_.reconnect_after)
        last_attempt_[device.addr] = clock_.steady() - opts_.reconnect_after + opts_.retry_after_failure;
      spdlog::warn("collector: {}: {} procedure failed: {}", device.to_string(), name,
                   e ? "exception" : r.error().message());
      return;
    }
    spdlog::info("collector: {}: {} procedure done: {} readings{}{}", device.to_string(), name, r->readings,
                 r->clock_written ? ", clock set" : "", r->cache_hit ? ", discovery cache hit" : "");
  });
}

asio::awaitable<expected<ProcedureReport>> Collector::collect(Peer device, const Profile& profile) {
  ++stats_.procedures_started;
  if (!connect_) co_return tl::unexpected(std::make_error_code(std::errc::not_supported));
  auto bearer = co_await connect_(device);
  if (!bearer) co_return tl::unexpected(bearer.error());
  std::shared_ptr<att::AttBearer> link = std::move(*bearer);
  auto client = std::make_unique<att::GattClient>(link);
  ReadingFn on_reading = [this, device](sensor::Reading r) { deliver(device, std::move(r), "gatt"); };
  const Peer identity = identity_of_ ? identity_of_(device) : device;
  std::function<void()> resolved;
  if (on_resolved_) resolved = [this, device] { on_resolved_(device); };
  auto report =
      co_await run_procedure(*client, profile.procedure, on_reading, clock_.wall, cache_, identity, std::move(resolved));
  client.reset();
  link->close();
  co_return report;
}

}  // namespace bcms::collector
