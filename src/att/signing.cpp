#include "src/att/signing.hpp"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace bcms::att {
namespace {

Key128 reversed(const Key128& k) {
  Key128 r{};
  for (std::size_t i = 0; i < 16; ++i) r[i] = k[15 - i];
  return r;
}

std::optional<std::array<std::uint8_t, 8>> mac64_le(const Key128& csrk_le, byte_span message, std::uint32_t counter,
                                                    CmacFn cmac) {
  // m || SignCounter, little-endian on the wire; reversed for AES-CMAC.
  bytes m(message.begin(), message.end());
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
  bytes m_be(m.rbegin(), m.rend());
  Key128 mac{};
  if (!cmac || !cmac(reversed(csrk_le), m_be, mac)) return std::nullopt;
  // MAC = MSB_64(CMAC), sent least significant octet first.
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < 8; ++i) out[i] = mac[7 - i];
  return out;
}

}  // namespace

bool aes_cmac(const Key128& key, byte_span msg, Key128& mac) {
  // OpenSSL 3 EVP_MAC "CMAC" with cipher AES-128-CBC (RFC 4493).
  EVP_MAC* impl = EVP_MAC_fetch(nullptr, "CMAC", nullptr);
  if (!impl) return false;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(impl);
  char cipher[] = "AES-128-CBC";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0), OSSL_PARAM_construct_end()};
  std::size_t out = 0;
  const bool ok = ctx && EVP_MAC_init(ctx, key.data(), key.size(), params) == 1 &&
                  (msg.empty() || EVP_MAC_update(ctx, msg.data(), msg.size()) == 1) &&
                  EVP_MAC_final(ctx, mac.data(), &out, mac.size()) == 1 && out == mac.size();
  EVP_MAC_CTX_free(ctx);
  EVP_MAC_free(impl);
  return ok;
}

std::optional<Signature> att_signature(const Key128& csrk_le, byte_span message, std::uint32_t counter, CmacFn cmac) {
  auto mac = mac64_le(csrk_le, message, counter, cmac);
  if (!mac) return std::nullopt;
  Signature sig{};
  for (int i = 0; i < 4; ++i) sig[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (8 * i));
  for (std::size_t i = 0; i < 8; ++i) sig[4 + i] = (*mac)[i];
  return sig;
}

bool verify_att_signature(const Key128& csrk_le, byte_span message, const Signature& signature, CmacFn cmac) {
  const std::uint32_t counter = static_cast<std::uint32_t>(signature[0]) |
                                (static_cast<std::uint32_t>(signature[1]) << 8) |
                                (static_cast<std::uint32_t>(signature[2]) << 16) |
                                (static_cast<std::uint32_t>(signature[3]) << 24);
  auto mac = mac64_le(csrk_le, message, counter, cmac);
  if (!mac) return false;  // fail closed
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < 8; ++i) diff |= static_cast<std::uint8_t>((*mac)[i] ^ signature[4 + i]);
  return diff == 0;
}

}  // namespace bcms::att
