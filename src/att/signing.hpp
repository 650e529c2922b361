// ATT data signing (Core v5.4 Vol 3 Part H 2.4.5, Part F 3.4.5.4): the
// Authentication Signature of ATT_SIGNED_WRITE_CMD is
//   SignCounter (4, LE) || MAC (8)
// where MAC is the 64 most significant bits of AES-CMAC_CSRK(m ||
// SignCounter) with m = opcode || handle || value.  The spec writes keys
// and messages most-significant octet first while the wire is little-
// endian, so key and message are byte-reversed before AES-CMAC and the
// MAC is reversed back (as BlueZ bt_crypto_sign_att does).
//
// AES-CMAC (RFC 4493, Vol 3 Part H 2.2.5) is OpenSSL's (libcrypto EVP_MAC
// "CMAC" over AES-128-CBC): cryptography is not hand-written here.
//
// Fail closed: when the MAC cannot be computed, no signature is produced
// and every verification fails (there is no fallback value that a forged
// signature could match).
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/bytes.hpp"

namespace bcms::att {

/// AES-CMAC over `msg` with `key`, both in the spec's (big-endian) order.
/// False only when libcrypto cannot provide CMAC (a broken installation).
bool aes_cmac(const Key128& key, byte_span msg, Key128& mac);
/// The AES-CMAC implementation signing uses (tests substitute a failing one).
using CmacFn = bool (*)(const Key128& key, byte_span msg, Key128& mac);

using Signature = std::array<std::uint8_t, 12>;
/// The 12-octet Authentication Signature for `message` (opcode, handle,
/// value) with a CSRK as SMP distributes it (little-endian); nullopt when
/// the MAC cannot be computed.
std::optional<Signature> att_signature(const Key128& csrk_le, byte_span message, std::uint32_t sign_counter,
                                       CmacFn cmac = aes_cmac);
/// Checks a received signature (constant-time compare of the MAC); false
/// on any failure, including a MAC that cannot be computed.
bool verify_att_signature(const Key128& csrk_le, byte_span message, const Signature& signature,
                          CmacFn cmac = aes_cmac);

}  // namespace bcms::att
