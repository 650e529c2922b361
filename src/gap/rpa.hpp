// Resolvable private addresses (Core v5.4 Vol 6 Part B 1.3.2.2, Vol 3
// Part H 2.2.2): an RPA is prand (24 bits, top two bits 0b01) || hash (24
// bits) with hash = ah(IRK, prand) = e(IRK, 0^104 || prand) mod 2^24, e
// being AES-128 (OpenSSL's libcrypto, never hand-written).  The spec
// writes keys and blocks most significant octet first; IRKs as mgmt and
// SMP carry them, and Address, are little-endian, so both are reversed
// around AES (as the kernel's smp_ah() does).
#pragma once

#include <optional>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace bcms::gap {

/// LE random with the top two bits 0b01.
[[nodiscard]] bool is_resolvable_private(const Peer& p) noexcept;
/// ah(irk, prand): the 24-bit hash, nullopt when AES is unavailable.
/// `irk_le` as SMP distributes it, prand the address's upper 24 bits.
std::optional<std::uint32_t> rpa_hash(const Key128& irk_le, std::uint32_t prand);
/// True when `p` is an RPA generated from this IRK.
[[nodiscard]] bool rpa_matches(const Key128& irk_le, const Peer& p);

}  // namespace bcms::gap
