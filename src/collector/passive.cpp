#include "src/collector/passive.hpp"

#include <algorithm>
#include <spdlog/spdlog.h>
#include <variant>

#include "protocol/codec_error.hpp"
#include "protocol/sensor/beacon.hpp"
#include "protocol/sensor/bthome.hpp"
#include "protocol/sensor/gatt_readings.hpp"

namespace bcms::collector {

void PassiveDecoder::set_bind_key(const Address& device, const Key128& key) {
  keys_[device] = key;
  bthome_.erase(device);
}

std::vector<PassiveDecoder::Item> PassiveDecoder::decode(const Peer& device, const ad::AdData& ad,
                                                         clock::time_point now) {
  ++stats_.adverts;
  std::vector<Item> out;
  for (const ad::Structure& s : ad.structures) {
    const auto* sd = std::get_if<ad::ServiceData<std::uint16_t>>(&s.value);
    if (!sd) continue;
    if (sd->uuid == sensor::bthome_uuid) {
      bthome(device, sd->data, now, out);
    } else if (sd->uuid == sensor::eddystone_uuid) {
      auto e = sensor::decode_eddystone(sd->data);
      if (const auto* tlm = e ? std::get_if<sensor::EddystoneTlm>(&*e) : nullptr) {
        ++stats_.eddystone_tlm;
        for (auto& r : sensor::readings(*tlm)) out.push_back({std::move(r), "eddystone"});
      }
    } else {
      auto r = sensor::decode_passive_service_data(sd->uuid, sd->data);
      if (r) {
        out.push_back({std::move(*r), "service_data"});
      } else if (r.error() != codec_errc::unknown_opcode) {
        ++stats_.service_data_errors;
        spdlog::debug("collector: {}: service data 0x{:04x}: {}", device.to_string(), sd->uuid, r.error().message());
      }
    }
  }
  stats_.readings += out.size();
  return out;
}

void PassiveDecoder::bthome(const Peer& device, byte_span data, clock::time_point now, std::vector<Item>& out) {
  auto it = bthome_.find(device.addr);
  if (it == bthome_.end()) {
    const auto key = keys_.find(device.addr);
    std::optional<Key128> k;
    if (key != keys_.end()) k = key->second;
    it = bthome_.emplace(device.addr, BthomeState{sensor::BthomeReceiver(device.addr, k)}).first;
  }
  BthomeState& st = it->second;
  if (!st.last_encrypted.empty() && std::ranges::equal(st.last_encrypted, data)) {
    ++stats_.bthome_repeats;
    return;
  }
  auto p = st.receiver.receive(data, now);
  if (!p) {
    using sensor::bthome_errc;
    const std::error_code ec = p.error().code;
    if (ec == bthome_errc::duplicate_packet) {
      ++stats_.bthome_duplicates;
    } else if (ec == bthome_errc::replayed_counter) {
      ++stats_.bthome_replays;
      spdlog::warn("collector: {}: BTHome packet rejected: replayed counter (last accepted {})", device.to_string(),
                   st.receiver.counter().last().value_or(0));
    } else if (ec == bthome_errc::authentication_failed) {
      ++stats_.bthome_auth_failures;
      spdlog::warn("collector: {}: BTHome packet rejected: {}", device.to_string(), p.error().message());
    } else if (ec == bthome_errc::encrypted) {
      ++stats_.bthome_no_key;
    } else if (ec == bthome_errc::not_encrypted) {
      ++stats_.bthome_downgrades;
      spdlog::warn("collector: {}: plaintext BTHome from a device with a bind key: rejected", device.to_string());
    } else {
      ++stats_.bthome_errors;
      spdlog::debug("collector: {}: {}", device.to_string(), p.error().message());
    }
    return;
  }
  ++stats_.bthome_packets;
  if (p->encrypted) st.last_encrypted.assign(data.begin(), data.end());
  for (auto& r : sensor::readings(*p)) out.push_back({std::move(r), "bthome"});
}

}  // namespace bcms::collector
