// Encrypted BTHome v2 (https://bthome.io/encryption/) and the per-device
// receiver.  A separate library (bcms_bthome_crypto) beside the pure
// sensor codecs: it links OpenSSL's libcrypto (EVP AES-128-CCM, never
// hand-written crypto), the rest of protocol/ stays crypto-free.
//
//   key     the device's 16-octet bind key
//   nonce   13 octets: MAC (6, in written order: 54:48:E6:8F:80:A5 ->
//           54 48 E6 8F 80 A5, i.e. Address::b reversed) || UUID 0xFCD2
//           little-endian (D2 FC) || device information octet || counter
//           (the 4 octets as on air, a little-endian uint32)
//   data    ciphertext of the objects || counter (4) || MIC (4)
//   AES-CCM with a 4-octet MIC, no associated data.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "protocol/address.hpp"
#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "protocol/sensor/bthome.hpp"
#include "protocol/sensor/bthome_state.hpp"

namespace bcms::sensor {

using BthomeNonce = std::array<std::uint8_t, 13>;
BthomeNonce bthome_nonce(const Address& mac, std::uint8_t device_info, std::uint32_t counter) noexcept;

/// Decrypts the encrypted block of `h` (parse_bthome_header) for the
/// device `mac` (h.mac when the packet carries one): the plaintext
/// objects; bthome_errc::authentication_failed when the MIC does not
/// match.  `counter` receives the packet's counter.
expected<bytes> bthome_decrypt(const Key128& key, const Address& mac, const BthomeHeader& h, std::uint32_t& counter);

/// Service data (after the UUID) for the objects, encrypted: device
/// information (the encryption bit is set), ciphertext, counter, MIC.
/// (Devices send these; the tests, fuzz seeds and benchmarks make them.)
bytes bthome_encrypt(const Key128& key, const Address& mac, std::uint8_t device_info, std::uint32_t counter,
                     byte_span objects);

/// One device's BTHome receiver: decrypts with its bind key (when it has
/// one), rejects counters that do not increase and repeated packet ids,
/// and decodes the objects.  With a key, plaintext packets are refused
/// (bthome_errc::not_encrypted: a downgrade); without one, encrypted
/// packets are bthome_errc::encrypted.  Pure: the caller gives the time.
class BthomeReceiver {
 public:
  explicit BthomeReceiver(const Address& mac, std::optional<Key128> key = std::nullopt) noexcept
      : mac_(mac), key_(key) {}

  expected<BthomePacket, BthomeError> receive(byte_span service_data, PacketIdFilter::clock::time_point now);

  [[nodiscard]] const CounterGuard& counter() const noexcept { return counter_; }

 private:
  Address mac_;
  std::optional<Key128> key_;
  CounterGuard counter_{};
  PacketIdFilter packets_{};
};

}  // namespace bcms::sensor
