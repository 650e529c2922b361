// Shared helpers for the storage tests: a private temporary directory that
// is removed afterwards, and a few records.
#pragma once

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/storage/records.hpp"

namespace bcms::storage::test {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "bcms-storage-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) std::abort();
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  [[nodiscard]] const std::filesystem::path& path() const noexcept { return path_; }
  [[nodiscard]] std::filesystem::path operator/(const char* name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

inline Address addr(const char* text) { return *Address::parse(text); }

inline Key128 key(std::uint8_t first) {
  Key128 k{};
  for (std::size_t i = 0; i < k.size(); ++i) k[i] = static_cast<std::uint8_t>(first + i);
  return k;
}

inline const Address local = addr("00:1A:7D:DA:71:13");
inline const Peer peer_a{addr("C0:11:22:33:44:55"), AddressType::le_random};
inline const Peer peer_b{addr("00:11:22:33:44:66"), AddressType::le_public};

}  // namespace bcms::storage::test
