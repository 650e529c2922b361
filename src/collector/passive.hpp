// Passive collection: readings from one advertisement (its AD structures
// as the kernel reported them in Device Found), per device state kept
// across advertisements.
//
//   service data 0xFCD2  BTHome v2 (bthome.io): plain, or AES-CCM
//                        encrypted with the device's bind key; replayed
//                        counters and repeated packet ids rejected
//                        (sensor::BthomeReceiver)
//   service data 0xFEAA  Eddystone-TLM (battery voltage, temperature, uptime)
//   service data 0x2A37, 0x2A6D, 0x2A6E, 0x180F, 0x2A46
//                        the original BCMS's mapping
//                        (sensor::decode_passive_service_data)
//
// An advertisement is repeated many times a second.  An encrypted BTHome
// packet octet for octet equal to the device's last accepted one is that
// repeat (counted in `bthome_repeats`, no reading); one whose counter does
// not increase otherwise is a replay (`bthome_replays`, logged).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string_view>
#include <vector>

#include "protocol/ad/ad.hpp"
#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/sensor/bthome_crypto.hpp"
#include "protocol/sensor/reading.hpp"

namespace bcms::collector {

struct PassiveStats {
  std::uint64_t adverts = 0;
  std::uint64_t readings = 0;           // decoded (before sampling)
  std::uint64_t service_data_errors = 0;
  std::uint64_t bthome_packets = 0;     // accepted
  std::uint64_t bthome_duplicates = 0;  // packet id already seen
  std::uint64_t bthome_repeats = 0;     // the last accepted encrypted packet again
  std::uint64_t bthome_replays = 0;     // counter not above the last accepted one
  std::uint64_t bthome_auth_failures = 0;
  std::uint64_t bthome_no_key = 0;      // encrypted, and no bind key for the device
  std::uint64_t bthome_downgrades = 0;  // plaintext from a device with a bind key
  std::uint64_t bthome_errors = 0;      // malformed
  std::uint64_t eddystone_tlm = 0;
};

class PassiveDecoder {
 public:
  using clock = std::chrono::steady_clock;

  struct Item {
    sensor::Reading reading;
    std::string_view source;  // "service_data", "bthome", "eddystone"
  };

  /// A device's BTHome bind key (before or after it was first seen: its
  /// receive state starts over).
  void set_bind_key(const Address& device, const Key128& key);

  /// The readings of one advertisement of `device`.
  std::vector<Item> decode(const Peer& device, const ad::AdData& ad, clock::time_point now);

  [[nodiscard]] const PassiveStats& stats() const noexcept { return stats_; }

 private:
  void bthome(const Peer& device, byte_span data, clock::time_point now, std::vector<Item>& out);

  struct BthomeState {
    sensor::BthomeReceiver receiver;
    bytes last_encrypted{};
  };
  std::map<Address, Key128> keys_;
  std::map<Address, BthomeState> bthome_;
  PassiveStats stats_;
};

}  // namespace bcms::collector
