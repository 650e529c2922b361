// Per-connection state of the GATT server: everything the server needs
// to answer one client, kept apart from the socket so that request
// handling is a plain function call (fuzzing, benchmarks, tests).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/att/pdu.hpp"
#include "protocol/bytes.hpp"
#include "src/att/client_store.hpp"
#include "src/att/link_security.hpp"

namespace bcms::att {

using ConnId = std::uint64_t;

struct PreparedWrite {
  std::uint16_t handle = 0;
  std::uint16_t offset = 0;
  bytes value;
};

struct ConnState {
  ConnId id = 0;
  Peer peer{};
  /// Bonded peers keep their CCCD values across connections (Core v5.4
  /// Vol 3 Part G 3.3.3.3) and get Service Changed after reconnecting.
  bool bonded = false;
  /// ATT_MTU, the same both ways (Vol 3 Part F 3.4.2).
  std::uint16_t mtu = default_mtu;
  bool mtu_exchanged = false;
  /// Borrowed; nullptr means an unencrypted link that cannot be raised.
  LinkSecurity* security = nullptr;
  /// CCCD handle -> value, this connection only.
  std::map<std::uint16_t, std::uint16_t> cccd;
  /// The Prepare Write queue (Vol 3 Part F 3.4.6), with its byte total.
  std::vector<PreparedWrite> prepared;
  std::size_t prepared_bytes = 0;
  /// The peer's CSRK (as SMP distributes it, Vol 3 Part H 3.6.6) for
  /// verifying ATT_SIGNED_WRITE_CMD, whether it came from authenticated
  /// pairing, and the lowest SignCounter still acceptable (replay
  /// protection, Part H 2.4.5; persisted for bonded peers).
  std::optional<Key128> peer_csrk;
  bool csrk_authenticated = false;
  std::uint32_t next_sign_counter = 0;
  /// Continuations of asynchronous handlers hold a weak_ptr to this and
  /// do nothing once the connection is gone.
  std::shared_ptr<int> alive = std::make_shared<int>(0);
  /// Service Changed range owed to this client (merged), if any.
  std::optional<std::pair<std::uint16_t, std::uint16_t>> service_changed_pending;

  // Robust caching (Vol 3 Part G 2.5.2).
  std::uint8_t client_features = 0;  // Client Supported Features, octet 0
  bool change_aware = true;
  bool out_of_sync_sent = false;     // Database Out Of Sync answered once
  DbHash known_hash{};               // what a change-unaware client knows
  /// Bonded clients: the record loaded at connection, applied (CCCDs) only
  /// once the link is encrypted (`restored`): a device spoofing the
  /// address gets nothing of the bonded peer's.
  std::optional<ClientRecord> stored;
  bool restored = false;

  [[nodiscard]] SecurityLevel level() const { return security ? security->level() : SecurityLevel::low; }
  [[nodiscard]] std::uint8_t key_size() const { return security ? security->key_size() : 0; }
};

}  // namespace bcms::att
