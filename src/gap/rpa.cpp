#include "src/gap/rpa.hpp"

#include <openssl/evp.h>

namespace bcms::gap {

bool is_resolvable_private(const Peer& p) noexcept {
  return p.type == AddressType::le_random && (p.addr.b[5] & 0xC0) == 0x40;
}

std::optional<std::uint32_t> rpa_hash(const Key128& irk_le, std::uint32_t prand) {
  // Part H 2.2.2: r' = padding (104 zero bits) || r, MSB first.
  Key128 key{}, block{}, out{};
  for (std::size_t i = 0; i < 16; ++i) key[i] = irk_le[15 - i];
  block[13] = static_cast<std::uint8_t>(prand >> 16);
  block[14] = static_cast<std::uint8_t>(prand >> 8);
  block[15] = static_cast<std::uint8_t>(prand);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int n = 0;
  const bool ok = ctx && EVP_EncryptInit_ex(ctx, EVP_aes_128_ecb(), nullptr, key.data(), nullptr) == 1 &&
                  EVP_CIPHER_CTX_set_padding(ctx, 0) == 1 &&
                  EVP_EncryptUpdate(ctx, out.data(), &n, block.data(), static_cast<int>(block.size())) == 1 &&
                  n == static_cast<int>(out.size());
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  // ah = e(k, r') mod 2^24: the three least significant octets.
  return (std::uint32_t{out[13]} << 16) | (std::uint32_t{out[14]} << 8) | out[15];
}

bool rpa_matches(const Key128& irk_le, const Peer& p) {
  if (!is_resolvable_private(p)) return false;
  const auto& b = p.addr.b;  // little-endian: b[0..2] hash, b[3..5] prand
  const std::uint32_t hash = b[0] | (std::uint32_t{b[1]} << 8) | (std::uint32_t{b[2]} << 16);
  const std::uint32_t prand = b[3] | (std::uint32_t{b[4]} << 8) | (std::uint32_t{b[5]} << 16);
  const auto h = rpa_hash(irk_le, prand);
  return h && *h == hash;
}

}  // namespace bcms::gap
