#include "src/gap/rpa.hpp"

#include <openssl/evp.h>

#include <memory>

namespace bcms::gap {

bool is_resolvable_private(const Peer& peer) noexcept {
  return peer.type == AddressType::le_random && (peer.addr.b[5] & 0xC0) == 0x40;
}

std::optional<std::uint32_t> rpa_hash(const Key128& irk, std::uint32_t prand) {
  std::array<std::uint8_t, 16> key{};
  for (std::size_t i = 0; i < 16; ++i) key[i] = irk[15 - i];
  std::array<std::uint8_t, 16> block{};  // 0^104 || prand, MSB first
  block[13] = static_cast<std::uint8_t>(prand >> 16);
  block[14] = static_cast<std::uint8_t>(prand >> 8);
  block[15] = static_cast<std::uint8_t>(prand);
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  std::array<std::uint8_t, 32> out{};
  int n = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ecb(), nullptr, key.data(), nullptr) != 1 ||
      EVP_CIPHER_CTX_set_padding(ctx.get(), 0) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &n, block.data(), static_cast<int>(block.size())) != 1 || n != 16)
    return std::nullopt;
  return static_cast<std::uint32_t>(out[13]) << 16 | static_cast<std::uint32_t>(out[14]) << 8 | out[15];
}

bool rpa_matches(const Key128& irk, const Address& rpa) {
  // Address octets are least significant first: b[0..2] hash, b[3..5] prand.
  const std::uint32_t hash = static_cast<std::uint32_t>(rpa.b[2]) << 16 | static_cast<std::uint32_t>(rpa.b[1]) << 8 | rpa.b[0];
  const std::uint32_t prand = static_cast<std::uint32_t>(rpa.b[5]) << 16 | static_cast<std::uint32_t>(rpa.b[4]) << 8 | rpa.b[3];
  auto h = rpa_hash(irk, prand);
  return h && *h == hash;
}

}  // namespace bcms::gap
