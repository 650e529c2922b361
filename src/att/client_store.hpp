// What the GATT server keeps for each bonded client across connections and
// restarts, and the interface it keeps it through (gap::BondManager
// implements it over src/storage).
//
//  * CCCD values (Core v5.4 Vol 3 Part G 3.3.3.3: they persist for bonded
//    clients), valid only for the database `db_hash` names: after a
//    database change they are dropped, never applied to whatever now has
//    the same handle.  The Service Changed subscription is kept apart
//    (`service_changed`): it is what lets the server tell the client that
//    the database changed.
//  * db_hash: the Database Hash (Part G 7.3) of the database the client
//    last knew; a client that reconnects with another hash is
//    change-unaware (Part G 2.5.2.1) and is owed Service Changed.
//  * features: Client Supported Features (Part G 7.2), octet 0.
//  * sign_counter: the lowest SignCounter still acceptable in the client's
//    signed writes (Part H 2.4.5: replay protection across connections).
#pragma once

#include <cstdint>
#include <map>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace bcms::att {

using DbHash = Key128;

struct ClientRecord {
  DbHash db_hash{};
  bool service_changed = false;
  std::uint8_t features = 0;
  std::uint32_t sign_counter = 0;
  std::map<std::uint16_t, std::uint16_t> cccds;  // CCCD handle -> value (non-zero)
  friend bool operator==(const ClientRecord&, const ClientRecord&) = default;
};

class ClientStore {
 public:
  virtual ~ClientStore() = default;
  virtual std::optional<ClientRecord> load(const Peer& peer) = 0;
  /// Replaces the client's record (may be committed later, see
  /// src/storage/gatt_clients.cpp for when).
  virtual void save(const Peer& peer, const ClientRecord& record) = 0;
};

}  // namespace bcms::att
