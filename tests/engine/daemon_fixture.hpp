// Shared by the daemon engine tests: a scripted kernel, a real SQLite
// store in a temporary directory, a registry with a settable clock, and
// hand-built mgmt event frames (mgmt-api.txt "Device Found Event", "New
// Identity Resolving Key Event", "New Long Term Key Event").
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>

#include "src/daemon/registry.hpp"
#include "src/gap/bonds.hpp"
#include "tests/engine/gap_kernel.hpp"

namespace bcms::test {

struct TempDir {
  std::filesystem::path path;
  TempDir() {
    char tmpl[] = "/tmp/bcms-daemon-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
};

inline const Address kLocal = Address::parse("00:AA:01:00:00:00").value();

/// Address + type as mgmt carries them (least significant octet first).
inline bytes wire(const Peer& p) {
  bytes b(p.addr.b.begin(), p.addr.b.end());
  b.push_back(static_cast<std::uint8_t>(p.type));
  return b;
}

/// Device Found (0x0012): Address, Address_Type, RSSI, Flags, EIR_Data_Length, EIR_Data.
inline bytes device_found(const Peer& p, std::int8_t rssi, const bytes& eir) {
  bytes b = wire(p);
  b.push_back(static_cast<std::uint8_t>(rssi));
  le(b, 0, 4);
  le(b, eir.size(), 2);
  b.insert(b.end(), eir.begin(), eir.end());
  return b;
}

/// A Complete Local Name AD structure.
inline bytes name_ad(const std::string& name) {
  bytes b{static_cast<std::uint8_t>(name.size() + 1), 0x09};
  b.insert(b.end(), name.begin(), name.end());
  return b;
}

/// New Identity Resolving Key (0x0018): Store_Hint, Random_Address, Address, Address_Type, Value.
inline bytes new_irk(std::uint8_t hint, const Address& rpa, const Peer& identity, const Key128& irk) {
  bytes b{hint};
  b.insert(b.end(), rpa.b.begin(), rpa.b.end());
  auto w = wire(identity);
  b.insert(b.end(), w.begin(), w.end());
  b.insert(b.end(), irk.begin(), irk.end());
  return b;
}

/// New Long Term Key (0x000A), Store_Hint 1, 37 octets.
inline bytes new_ltk(const Peer& p, std::uint8_t key_start) {
  bytes b{1};
  auto w = wire(p);
  b.insert(b.end(), w.begin(), w.end());
  b.push_back(0x00);  // unauthenticated
  b.push_back(0x00);  // not central
  b.push_back(16);
  le(b, 0x1234, 2);
  le(b, 0x1122334455667788ULL, 8);
  for (std::uint8_t i = 0; i < 16; ++i) b.push_back(static_cast<std::uint8_t>(key_start + i));
  return b;
}

/// The Core spec's ah sample (Vol 3 Part H Appendix D): IRK
/// ec0234a3 57c8ad05 341010a6 0a397d9b (MSB first), prand 0x708194, hash
/// 0x0dfbaa.  kSampleIrk is in mgmt order (LSB first).
inline const Key128 kSampleIrk{0x9b, 0x7d, 0x39, 0x0a, 0xa6, 0x10, 0x10, 0x34,
                               0x05, 0xad, 0xc8, 0x57, 0xa3, 0x34, 0x02, 0xec};
inline const Peer kSampleRpa{Address::parse("70:81:94:0D:FB:AA").value(), AddressType::le_random};

/// A clock the test moves.
struct TestClock {
  daemon::Clock::time_point t = daemon::Clock::time_point(std::chrono::seconds(1'700'000'000));
  daemon::Registry::Now fn() {
    return [this] { return t; };
  }
};

}  // namespace bcms::test
