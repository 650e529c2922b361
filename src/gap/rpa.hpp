// Resolvable private addresses (Core v5.4 Vol 6 Part B 1.3.2.2/1.3.2.3;
// the hash function ah, Vol 3 Part H 2.2.2).
//
//   RPA (48 bits, MSB first) = prand (24 bits, top two bits 0b01) || hash (24 bits)
//   hash = ah(IRK, prand) = e(IRK, 0^104 || prand) mod 2^24
//
// e is AES-128 (FIPS-197) with the key and block most significant octet
// first; mgmt and SMP carry IRKs and addresses least significant octet
// first, so both are reversed around the cipher.  The cipher is OpenSSL's
// (AES-128-ECB, one block): cryptography is not hand-written here.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"

namespace bcms::gap {

/// An LE random address whose two top bits are 0b01.
[[nodiscard]] bool is_resolvable_private(const Peer& peer) noexcept;

/// ah(irk, prand): the 24-bit hash; nullopt if the cipher failed.
/// `irk` as mgmt carries it (least significant octet first).
[[nodiscard]] std::optional<std::uint32_t> rpa_hash(const Key128& irk, std::uint32_t prand);

/// Whether `rpa` was generated from `irk`.
[[nodiscard]] bool rpa_matches(const Key128& irk, const Address& rpa);

}  // namespace bcms::gap
