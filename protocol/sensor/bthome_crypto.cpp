#include "protocol/sensor/bthome_crypto.hpp"

#include <openssl/evp.h>

#include <memory>
#include <stdexcept>

#include "protocol/codec_error.hpp"

namespace bcms::sensor {
namespace {

constexpr int mic_size = 4;
constexpr std::size_t counter_size = 4;

struct CtxFree {
  void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

// AES-128-CCM, 13-octet nonce, 4-octet tag, no AAD (RFC 3610; OpenSSL's
// EVP CCM sequence: set IV and tag length, key and nonce, total length,
// then one update).  Decrypt: false on a tag mismatch.
bool ccm(bool encrypt, const Key128& key, const BthomeNonce& nonce, byte_span in, std::uint8_t* out,
         std::uint8_t* tag) {
  Ctx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return false;
  std::uint8_t dummy = 0;  // CCM needs a non-null buffer even for an empty message
  const std::uint8_t* src = in.empty() ? &dummy : in.data();
  std::uint8_t* dst = in.empty() ? &dummy : out;
  const int n = static_cast<int>(in.size());
  int len = 0;
  auto init = encrypt ? EVP_EncryptInit_ex : EVP_DecryptInit_ex;
  auto update = encrypt ? EVP_EncryptUpdate : EVP_DecryptUpdate;
  bool ok = init(ctx.get(), EVP_aes_128_ccm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_IVLEN, static_cast<int>(nonce.size()), nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_SET_TAG, mic_size, encrypt ? nullptr : tag) == 1 &&
            init(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) == 1 &&
            update(ctx.get(), nullptr, &len, nullptr, n) == 1 && update(ctx.get(), dst, &len, src, n) == 1;
  if (ok && encrypt)
    ok = EVP_EncryptFinal_ex(ctx.get(), dst, &len) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_AEAD_GET_TAG, mic_size, tag) == 1;
  return ok;
}

tl::unexpected<BthomeError> error(std::error_code code, std::size_t offset = 0) {
  return tl::unexpected<BthomeError>(BthomeError{code, offset});
}

}  // namespace

BthomeNonce bthome_nonce(const Address& mac, std::uint8_t device_info, std::uint32_t counter) noexcept {
  BthomeNonce n{};
  for (std::size_t i = 0; i < 6; ++i) n[i] = mac.b[5 - i];  // written order
  n[6] = static_cast<std::uint8_t>(bthome_uuid & 0xFF);
  n[7] = static_cast<std::uint8_t>(bthome_uuid >> 8);
  n[8] = device_info;
  for (std::size_t i = 0; i < 4; ++i) n[9 + i] = static_cast<std::uint8_t>(counter >> (8 * i));
  return n;
}

expected<bytes> bthome_decrypt(const Key128& key, const Address& mac, const BthomeHeader& h, std::uint32_t& counter) {
  if (h.payload.size() < counter_size + mic_size) return fail(codec_errc::truncated);
  const std::size_t n = h.payload.size() - counter_size - mic_size;
  ByteReader r(h.payload.subspan(n));
  r.u32(counter);
  std::array<std::uint8_t, mic_size> mic{};
  r.array(mic);
  bytes plain(n);
  if (!ccm(false, key, bthome_nonce(mac, h.device_info, counter), h.payload.first(n), plain.data(), mic.data()))
    return fail(bthome_errc::authentication_failed);
  return plain;
}

bytes bthome_encrypt(const Key128& key, const Address& mac, std::uint8_t device_info, std::uint32_t counter,
                     byte_span objects) {
  device_info |= bthome_info::encrypted;
  bytes out;
  ByteWriter w(out);
  w.u8(device_info);
  if (device_info & bthome_info::mac_included) w.array(mac.b);
  const std::size_t at = out.size();
  out.resize(at + objects.size());
  std::array<std::uint8_t, mic_size> mic{};
  if (!ccm(true, key, bthome_nonce(mac, device_info, counter), objects, out.data() + at, mic.data()))
    throw std::runtime_error("OpenSSL AES-CCM encryption failed");
  w.u32(counter);
  w.array(mic);
  return out;
}

expected<BthomePacket, BthomeError> BthomeReceiver::receive(byte_span in, PacketIdFilter::clock::time_point now) {
  auto h = parse_bthome_header(in);
  if (!h) return tl::unexpected(h.error());
  if (key_ && !h->encrypted) return error(bthome_errc::not_encrypted);
  if (!key_ && h->encrypted) return error(bthome_errc::encrypted);
  std::vector<BthomeObject> objects;
  std::optional<std::uint32_t> counter;
  if (h->encrypted) {
    std::uint32_t c = 0;
    ByteReader(h->payload.last(counter_size + mic_size)).u32(c);
    const std::size_t counter_at = in.size() - counter_size - mic_size;
    if (!counter_.fresh(c)) return error(bthome_errc::replayed_counter, counter_at);
    auto plain = bthome_decrypt(*key_, h->mac.value_or(mac_), *h, c);
    if (!plain) return error(plain.error(), h->payload_offset);
    counter_.commit(c);  // authentic: the counter moves even if a later check drops the packet
    // Object offsets in a decrypted payload count from the ciphertext's start.
    auto decoded = decode_bthome_objects(*plain, h->payload_offset);
    if (!decoded) return tl::unexpected(decoded.error());
    objects = std::move(*decoded);
    counter = c;
  } else {
    auto decoded = decode_bthome_objects(h->payload, h->payload_offset);
    if (!decoded) return tl::unexpected(decoded.error());
    objects = std::move(*decoded);
  }
  BthomePacket p = make_bthome_packet(*h, std::move(objects), counter);
  if (p.packet_id && !packets_.accept(*p.packet_id, now)) return error(bthome_errc::duplicate_packet);
  return p;
}

}  // namespace bcms::sensor
