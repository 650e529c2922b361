#include "src/att/signing.hpp"

#include <linux/if_alg.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>

namespace bcms::att {
namespace {

// ------------------------------------------------------------ AES-128 (FIPS 197)
constexpr std::uint8_t xtime(std::uint8_t x) {
  return static_cast<std::uint8_t>((x << 1) ^ ((x & 0x80) ? 0x1B : 0x00));
}
constexpr std::uint8_t gmul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t p = 0;
  for (int i = 0; i < 8; ++i) {
    if (b & 1) p ^= a;
    a = xtime(a);
    b >>= 1;
  }
  return p;
}
constexpr std::uint8_t rotl8(std::uint8_t x, int s) {
  return static_cast<std::uint8_t>((x << s) | (x >> (8 - s)));
}
// S-box computed from its definition (FIPS 197 5.1.1): multiplicative
// inverse in GF(2^8), then the affine transformation.
struct SBox {
  std::array<std::uint8_t, 256> s{};
  constexpr SBox() {
    for (int x = 0; x < 256; ++x) {
      std::uint8_t inv = 0;
      if (x) {
        // x^254 = x^-1
        std::uint8_t r = 1, base = static_cast<std::uint8_t>(x);
        for (int e = 254; e; e >>= 1) {
          if (e & 1) r = gmul(r, base);
          base = gmul(base, base);
        }
        inv = r;
      }
      s[static_cast<std::size_t>(x)] = static_cast<std::uint8_t>(inv ^ rotl8(inv, 1) ^ rotl8(inv, 2) ^ rotl8(inv, 3) ^
                                                                  rotl8(inv, 4) ^ 0x63);
    }
  }
};
constexpr SBox kSBox{};

void aes128_encrypt(const Key128& key, const std::uint8_t in[16], std::uint8_t out[16]) {
  std::array<std::uint8_t, 176> w{};
  std::memcpy(w.data(), key.data(), 16);
  std::uint8_t rcon = 1;
  for (std::size_t i = 16; i < 176; i += 4) {
    std::uint8_t t[4] = {w[i - 4], w[i - 3], w[i - 2], w[i - 1]};
    if (i % 16 == 0) {
      const std::uint8_t t0 = t[0];
      t[0] = static_cast<std::uint8_t>(kSBox.s[t[1]] ^ rcon);
      t[1] = kSBox.s[t[2]];
      t[2] = kSBox.s[t[3]];
      t[3] = kSBox.s[t0];
      rcon = xtime(rcon);
    }
    for (std::size_t j = 0; j < 4; ++j) w[i + j] = static_cast<std::uint8_t>(w[i + j - 16] ^ t[j]);
  }
  std::uint8_t s[16];
  for (int i = 0; i < 16; ++i) s[i] = static_cast<std::uint8_t>(in[i] ^ w[static_cast<std::size_t>(i)]);
  for (int round = 1; round <= 10; ++round) {
    std::uint8_t t[16];
    // SubBytes + ShiftRows (state is column-major: s[c*4 + r]).
    for (int c = 0; c < 4; ++c)
      for (int r = 0; r < 4; ++r) t[c * 4 + r] = kSBox.s[s[((c + r) % 4) * 4 + r]];
    if (round != 10) {
      for (int c = 0; c < 4; ++c) {  // MixColumns
        const std::uint8_t* a = &t[c * 4];
        s[c * 4 + 0] = static_cast<std::uint8_t>(gmul(a[0], 2) ^ gmul(a[1], 3) ^ a[2] ^ a[3]);
        s[c * 4 + 1] = static_cast<std::uint8_t>(a[0] ^ gmul(a[1], 2) ^ gmul(a[2], 3) ^ a[3]);
        s[c * 4 + 2] = static_cast<std::uint8_t>(a[0] ^ a[1] ^ gmul(a[2], 2) ^ gmul(a[3], 3));
        s[c * 4 + 3] = static_cast<std::uint8_t>(gmul(a[0], 3) ^ a[1] ^ a[2] ^ gmul(a[3], 2));
      }
    } else {
      std::memcpy(s, t, 16);
    }
    for (int i = 0; i < 16; ++i) s[i] ^= w[static_cast<std::size_t>(round * 16 + i)];
  }
  std::memcpy(out, s, 16);
}

// ------------------------------------------------------------ CMAC (RFC 4493)
void shift_left(const std::uint8_t in[16], std::uint8_t out[16]) {
  std::uint8_t carry = 0;
  for (int i = 15; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>((in[i] << 1) | carry);
    carry = static_cast<std::uint8_t>(in[i] >> 7);
  }
}

void software_cmac(const Key128& key, byte_span msg, Key128& mac) {
  std::uint8_t zero[16] = {}, l[16], k1[16], k2[16];
  aes128_encrypt(key, zero, l);  // RFC 4493 2.3 Generate_Subkey
  shift_left(l, k1);
  if (l[0] & 0x80) k1[15] ^= 0x87;
  shift_left(k1, k2);
  if (k1[0] & 0x80) k2[15] ^= 0x87;
  const std::size_t n = msg.empty() ? 1 : (msg.size() + 15) / 16;
  const bool complete = !msg.empty() && msg.size() % 16 == 0;
  std::uint8_t x[16] = {}, y[16];
  for (std::size_t b = 0; b < n; ++b) {
    std::uint8_t block[16] = {};
    const std::size_t off = b * 16;
    const std::size_t len = off < msg.size() ? std::min<std::size_t>(16, msg.size() - off) : 0;
    std::memcpy(block, msg.data() + off, len);
    if (b + 1 == n) {
      if (complete) {
        for (int i = 0; i < 16; ++i) block[i] ^= k1[i];
      } else {
        block[len] = 0x80;  // padding 10^i
        for (int i = 0; i < 16; ++i) block[i] ^= k2[i];
      }
    }
    for (int i = 0; i < 16; ++i) y[i] = static_cast<std::uint8_t>(x[i] ^ block[i]);
    aes128_encrypt(key, y, x);
  }
  std::memcpy(mac.data(), x, 16);
}

// ------------------------------------------------------------ AF_ALG
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::atomic<bool> g_no_af_alg{false};  // remembered after the first failure

bool kernel_cmac(const Key128& key, byte_span msg, Key128& mac) {
  if (g_no_af_alg.load(std::memory_order_relaxed)) return false;
  Fd tfm{::socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  if (tfm.fd < 0) {
    g_no_af_alg = true;
    return false;
  }
  sockaddr_alg sa{};
  sa.salg_family = AF_ALG;
  std::strcpy(reinterpret_cast<char*>(sa.salg_type), "hash");
  std::strcpy(reinterpret_cast<char*>(sa.salg_name), "cmac(aes)");
  if (::bind(tfm.fd, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) < 0) {
    g_no_af_alg = true;  // no cmac(aes) in this kernel
    return false;
  }
  if (::setsockopt(tfm.fd, SOL_ALG, ALG_SET_KEY, key.data(), key.size()) < 0) return false;
  Fd op{::accept4(tfm.fd, nullptr, nullptr, SOCK_CLOEXEC)};
  if (op.fd < 0) return false;
  if (::send(op.fd, msg.data(), msg.size(), 0) != static_cast<ssize_t>(msg.size())) return false;
  return ::read(op.fd, mac.data(), mac.size()) == static_cast<ssize_t>(mac.size());
}

Key128 reversed(const Key128& k) {
  Key128 r{};
  for (std::size_t i = 0; i < 16; ++i) r[i] = k[15 - i];
  return r;
}

std::array<std::uint8_t, 8> mac64_le(const Key128& csrk_le, byte_span message, std::uint32_t counter) {
  // m || SignCounter, little-endian on the wire; reversed for AES-CMAC.
  bytes m(message.begin(), message.end());
  for (int i = 0; i < 4; ++i) m.push_back(static_cast<std::uint8_t>(counter >> (8 * i)));
  bytes m_be(m.rbegin(), m.rend());
  Key128 mac{};
  aes_cmac(reversed(csrk_le), m_be, mac);
  // MAC = MSB_64(CMAC), sent least significant octet first.
  std::array<std::uint8_t, 8> out{};
  for (std::size_t i = 0; i < 8; ++i) out[i] = mac[7 - i];
  return out;
}

}  // namespace

bool kernel_cmac_available() {
  Key128 k{}, mac{};
  return kernel_cmac(k, {}, mac);
}

bool aes_cmac(const Key128& key, byte_span msg, Key128& mac, CmacBackend backend) {
  if (backend != CmacBackend::software && kernel_cmac(key, msg, mac)) return true;
  if (backend == CmacBackend::kernel) return false;
  software_cmac(key, msg, mac);
  return true;
}

std::array<std::uint8_t, 12> att_signature(const Key128& csrk_le, byte_span message, std::uint32_t counter) {
  std::array<std::uint8_t, 12> sig{};
  for (int i = 0; i < 4; ++i) sig[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(counter >> (8 * i));
  auto mac = mac64_le(csrk_le, message, counter);
  for (std::size_t i = 0; i < 8; ++i) sig[4 + i] = mac[i];
  return sig;
}

bool verify_att_signature(const Key128& csrk_le, byte_span message, const std::array<std::uint8_t, 12>& signature) {
  const std::uint32_t counter = static_cast<std::uint32_t>(signature[0]) |
                                (static_cast<std::uint32_t>(signature[1]) << 8) |
                                (static_cast<std::uint32_t>(signature[2]) << 16) |
                                (static_cast<std::uint32_t>(signature[3]) << 24);
  auto mac = mac64_le(csrk_le, message, counter);
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < 8; ++i) diff |= static_cast<std::uint8_t>(mac[i] ^ signature[4 + i]);
  return diff == 0;
}

}  // namespace bcms::att
