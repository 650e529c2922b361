// LE connection parameters per device, loaded into the kernel with mgmt
// Load Connection Parameters (mgmt-api.txt, opcode 0x0035): the kernel
// uses a device's entry when it creates the connection (LE Create
// Connection, Core v5.4 Vol 4 Part E 7.8.12) and, since Linux 6.10, a
// single-entry load for a device that is already connected updates the
// live link (LE Connection Update, 7.8.18).  Older kernels keep the entry
// for the next connection only ("where the kernel allows").
//
// Units (Vol 4 Part E 7.8.12): intervals in 1.25 ms, supervision timeout
// in 10 ms.
#pragma once

#include <cstdint>

#include "gen/mgmt_types.hpp"
#include "protocol/address.hpp"

namespace bcms::central {

struct ConnParams {
  std::uint16_t min_interval = 0;         // 1.25 ms units, 0x0006..0x0C80
  std::uint16_t max_interval = 0;         // 1.25 ms units, >= min_interval
  std::uint16_t latency = 0;              // connection events, 0..0x01F3
  std::uint16_t supervision_timeout = 0;  // 10 ms units, 0x000A..0x0C80
  friend bool operator==(const ConnParams&, const ConnParams&) = default;
};

/// While the client discovers services: 7.5-15 ms, no latency, 5 s.
inline constexpr ConnParams fast_params{6, 12, 0, 500};
/// Afterwards: 100-200 ms, slave latency 4, 6 s.
inline constexpr ConnParams relaxed_params{80, 160, 4, 600};

/// The ranges of Vol 4 Part E 7.8.12 and the rule that the supervision
/// timeout exceeds (1 + latency) * max interval * 2, as the kernel checks
/// them (hci_check_conn_params): an entry failing them is dropped by the
/// kernel with only a log line, so we refuse it before sending.
constexpr bool valid(const ConnParams& p) noexcept {
  if (p.min_interval < 6 || p.max_interval > 3200 || p.min_interval > p.max_interval) return false;
  if (p.supervision_timeout < 10 || p.supervision_timeout > 3200) return false;
  if (p.max_interval >= p.supervision_timeout * 8) return false;
  return p.latency <= 499 && p.latency <= p.supervision_timeout * 4 / p.max_interval - 1;
}
static_assert(valid(fast_params) && valid(relaxed_params));

/// Load Connection Parameters with one entry: `peer` with `p`.
inline mgmt::LoadConnectionParameters load_command(const Peer& peer, const ConnParams& p) {
  mgmt::LoadConnectionParameters cmd;
  cmd.params.push_back({peer.addr, peer.type, p.min_interval, p.max_interval, p.latency, p.supervision_timeout});
  return cmd;
}

}  // namespace bcms::central
