#include "src/gap/advertiser.hpp"
#include "protocol/hex.hpp"

#include <spdlog/spdlog.h>

#include <cstdio>

#include "gen/mgmt_types.hpp"
#include "src/gap/gap_error.hpp"
#include "src/mgmt/call.hpp"

namespace bcms::gap {

using namespace bcms::mgmt;

std::uint32_t mgmt_flags(const Advertisement& a) {
  std::uint32_t f = a.extra_flags;
  if (a.connectable) f |= mgmt::adv_flag::connectable;
  if (a.discoverable == Discoverable::general) f |= mgmt::adv_flag::general_discoverable;
  if (a.discoverable == Discoverable::limited) f |= mgmt::adv_flag::limited_discoverable;
  if (a.kernel_tx_power) f |= mgmt::adv_flag::tx_power;
  return f;
}

expected<ad::AdSplit, AdvError> build_payload(const Advertisement& a, std::size_t max_adv, std::size_t max_scan_rsp) {
  ad::AdBuilder b;
  if (!a.name.empty()) b.name(a.name);
  for (auto u : a.uuid16) b.uuid16(u);
  for (const auto& u : a.uuid128) b.uuid128(u);
  if (a.appearance) b.appearance(*a.appearance);
  if (a.tx_power) b.tx_power(*a.tx_power);
  for (const auto& [uuid, data] : a.service_data) b.service_data(uuid, data);
  for (const auto& [company, data] : a.manufacturer) b.manufacturer(company, data);
  auto split = b.split(max_adv, a.scan_response ? max_scan_rsp : 0);
  if (!split) {
    return unexpected(AdvError{make_error_code(errc::adv_data_too_long),
                               "advertising instance " + std::to_string(a.instance) + ": " + split.error().message() +
                                   " (controller limits: " + std::to_string(max_adv) + " octets of advertising data, " +
                                   std::to_string(a.scan_response ? max_scan_rsp : 0) + " of scan response)"});
  }
  return std::move(*split);
}

Advertiser::Advertiser(MgmtChannel& ch, std::uint16_t index) : ch_(ch), index_(index) {
  std::weak_ptr<int> alive = alive_;
  subs_.push_back(ch_.subscribe(static_cast<std::uint16_t>(EventCode::DeviceDisconnected), index_,
                                [this, alive](std::uint16_t, byte_span) {
                                  if (!alive.expired()) on_disconnected();
                                }));
  subs_.push_back(ch_.subscribe<AdvertisingRemovedEvent>(index_, [this, alive](std::uint16_t, const auto& ev) {
    if (!alive.expired()) on_removed(ev.instance);
  }));
}

Advertiser::~Advertiser() { alive_.reset(); }

asio::awaitable<expected<AdvertisingFeatures>> Advertiser::read_features() {
  auto r = co_await call(ch_, ReadAdvertisingFeatures{}, index_);
  if (!r) co_return unexpected(r.error());
  AdvertisingFeatures f{r->supported_flags, r->max_adv_data_len, r->max_scan_rsp_len, r->max_instances,
                        r->instances};
  features_ = f;
  co_return f;
}

asio::awaitable<expected<void, AdvError>> Advertiser::add(const Advertisement& adv) {
  if (!features_) {
    auto f = co_await read_features();
    if (!f) co_return unexpected(AdvError{f.error(), "Read Advertising Features: " + f.error().message()});
  }
  const std::string what = "advertising instance " + std::to_string(adv.instance);
  if (adv.instance == 0 || adv.instance > features_->max_instances) {
    co_return unexpected(AdvError{make_error_code(errc::instance_out_of_range),
                                  what + ": the controller supports instances 1.." +
                                      std::to_string(features_->max_instances)});
  }
  const std::uint32_t flags = mgmt_flags(adv);
  if (flags & ~features_->supported_flags) {
    const std::string why = what + ": flags " + hex32(flags & ~features_->supported_flags) + " not in the supported " +
                            hex32(features_->supported_flags);
    co_return unexpected(AdvError{make_error_code(errc::flags_not_supported), why});
  }
  auto size = co_await call(ch_, GetAdvertisingSizeInformation{adv.instance, flags}, index_);
  if (!size) co_return unexpected(AdvError{size.error(), what + ": Get Advertising Size Information: " +
                                                             size.error().message()});
  auto payload = build_payload(adv, size->max_adv_data_len, size->max_scan_rsp_len);
  if (!payload) co_return unexpected(payload.error());

  AddAdvertising cmd;
  cmd.instance = adv.instance;
  cmd.flags = flags;
  cmd.duration = adv.duration_s;
  cmd.timeout = adv.timeout_s;
  cmd.adv_data = DataView(payload->adv);
  cmd.scan_rsp = DataView(payload->scan_rsp);
  bytes params;
  if (std::error_code ec = encode(cmd, params)) co_return unexpected(AdvError{ec, what + ": " + ec.message()});
  auto r = co_await call_raw(ch_, static_cast<std::uint16_t>(Opcode::AddAdvertising), index_, params);
  if (!r) co_return unexpected(AdvError{r.error(), what + ": Add Advertising: " + r.error().message()});
  ++stats_.added;
  const std::uint8_t inst = adv.instance;
  instances_[inst] = Instance{adv, std::move(params), true};
  co_return expected<void, AdvError>{};
}

asio::awaitable<std::error_code> Advertiser::remove(std::uint8_t instance) {
  std::vector<std::uint8_t> which;
  if (instance == 0) {
    for (const auto& [i, st] : instances_) which.push_back(i);
  } else if (instances_.count(instance)) {
    which.push_back(instance);
  }
  std::error_code first;
  for (auto i : which) {
    instances_.erase(i);  // before the await: a Device Disconnected must not re-add it
    auto r = co_await call(ch_, RemoveAdvertising{i}, index_);
    // Invalid Parameters: the kernel no longer has it (timed out).
    if (!r && r.error() != make_error_code(Status::InvalidParameters) && !first) first = r.error();
  }
  co_return first;
}

std::vector<std::uint8_t> Advertiser::active() const {
  std::vector<std::uint8_t> out;
  for (const auto& [i, st] : instances_)
    if (st.active) out.push_back(i);
  return out;
}

std::optional<bytes> Advertiser::last_command(std::uint8_t instance) const {
  auto it = instances_.find(instance);
  if (it == instances_.end()) return std::nullopt;
  return it->second.params;
}

void Advertiser::on_removed(std::uint8_t instance) {
  auto it = instances_.find(instance);
  if (it == instances_.end() || !it->second.active) return;
  it->second.active = false;
  ++stats_.expired;
  spdlog::info("hci{}: advertising instance {} removed by the kernel (timeout)", index_, instance);
}

void Advertiser::on_disconnected() {
  std::weak_ptr<int> alive = alive_;
  for (auto& [i, st] : instances_) {
    if (!st.adv.readvertise_on_disconnect) continue;
    ++stats_.readvertised;
    const std::uint8_t inst = i;
    ch_.send(static_cast<std::uint16_t>(Opcode::AddAdvertising), index_, st.params,
             [this, alive, inst](std::error_code ec, bytes) {
               if (alive.expired()) return;
               auto it = instances_.find(inst);
               if (!ec) {
                 if (it != instances_.end()) it->second.active = true;
                 return;
               }
               spdlog::warn("hci{}: re-advertising instance {} failed: {}", index_, inst, ec.message());
               if (on_error_) on_error_(inst, ec);
             });
  }
}

}  // namespace bcms::gap
