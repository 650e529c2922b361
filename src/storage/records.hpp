// Plain records the storage module keeps.  Field meanings follow the mgmt
// events that deliver them (mgmt-api.txt "New Long Term Key Event", "New
// Identity Resolving Key Event", "New Signature Resolving Key Event", "New
// Link Key Event"); the daemon converts the generated event structs.
//
// Every record belongs to a local controller, identified by its public
// address (stable across reboots, unlike the controller index), and a peer
// identified by its identity address and address type.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace bcms::storage {

using bcms::Key128;
using bcms::Peer;

/// LE Long Term Key.  One per (peer, central): legacy pairing may leave a
/// key for each role.  key_type: 0x00 unauthenticated, 0x01 authenticated,
/// 0x02/0x03 the P-256 (Secure Connections) variants, 0x04 debug.
struct LongTermKey {
  Peer peer;
  std::uint8_t key_type = 0;
  bool central = false;  // mgmt "Master": the key is used when we are central
  std::uint8_t enc_size = 16;
  std::uint16_t ediv = 0;
  std::uint64_t rand = 0;
  Key128 value{};
  friend bool operator==(const LongTermKey&, const LongTermKey&) = default;
};

/// Identity Resolving Key of a peer: one per peer.
struct IdentityResolvingKey {
  Peer peer;
  Key128 value{};
  friend bool operator==(const IdentityResolvingKey&, const IdentityResolvingKey&) = default;
};

/// Connection Signature Resolving Key.  key_type: 0x00/0x02 local
/// (unauthenticated/authenticated), 0x01/0x03 remote: one local and one
/// remote key per peer.
struct SignatureKey {
  Peer peer;
  std::uint8_t key_type = 0;
  Key128 value{};
  [[nodiscard]] bool remote() const noexcept { return key_type & 0x01; }
  friend bool operator==(const SignatureKey&, const SignatureKey&) = default;
};

/// BR/EDR link key: one per peer.
struct LinkKey {
  Peer peer;
  std::uint8_t key_type = 0;
  Key128 value{};
  std::uint8_t pin_length = 0;
  friend bool operator==(const LinkKey&, const LinkKey&) = default;
};

/// A Client Characteristic Configuration value a bonded client wrote
/// (Core v5.4 Vol 3 Part G 3.3.3.3: it persists across connections for
/// bonded devices).
struct Cccd {
  std::uint16_t handle = 0;
  std::uint16_t value = 0;
  friend bool operator==(const Cccd&, const Cccd&) = default;
};

/// What the GATT server keeps for a bonded client across connections
/// (gatt_clients + cccds).  `cccds` are valid for the database `db_hash`
/// names only.
struct GattClient {
  Peer peer;
  Key128 db_hash{};
  bool service_changed = false;
  std::uint8_t features = 0;
  std::uint32_t sign_counter = 0;
  std::vector<Cccd> cccds;
  friend bool operator==(const GattClient&, const GattClient&) = default;
};

/// A device the gateway knows about (devices table; the last four fields
/// from schema v3).  `peer` is the identity address once the device's IRK
/// is known.
struct Device {
  Peer peer;
  std::string name;
  bool approved = false;
  bool paired = false;
  std::chrono::sys_seconds last_seen{};
  std::optional<std::int8_t> rssi;          // of the last report
  std::uint32_t adv_interval_ms = 0;        // learned from reports; 0 unknown
  std::optional<std::string> registration_id;  // the IoT backend's id
  std::chrono::sys_seconds registered_at{};    // when that id was last checked
  friend bool operator==(const Device&, const Device&) = default;
};

}  // namespace bcms::storage
