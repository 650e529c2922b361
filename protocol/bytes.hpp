// Little-endian byte reader and writer shared by every codec.
//
// ByteReader never reads past its span: each take_*() returns false (and
// leaves the reader in a failed state) when too few bytes remain, so a
// decoder reads all its fields and checks ok() once.  ByteWriter appends
// to a caller-owned std::vector.  Bluetooth is little-endian throughout
// (Core v5.4 Vol 1 Part E 2.2; mgmt-api.txt "all fields are little endian").
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string_view>
#include <vector>

namespace bcms {

using bytes = std::vector<std::uint8_t>;
using byte_span = std::span<const std::uint8_t>;
/// A 128-bit key or hash (LTK, IRK, CSRK, AES-CMAC output), in the order
/// its protocol puts it on the wire unless the name says otherwise.
using Key128 = std::array<std::uint8_t, 16>;

class ByteReader {
 public:
  constexpr explicit ByteReader(byte_span data) noexcept : data_(data) {}

  [[nodiscard]] constexpr std::size_t remaining() const noexcept { return data_.size() - pos_; }
  [[nodiscard]] constexpr std::size_t position() const noexcept { return pos_; }
  [[nodiscard]] constexpr bool ok() const noexcept { return ok_; }
  [[nodiscard]] constexpr bool empty() const noexcept { return remaining() == 0; }

  constexpr bool u8(std::uint8_t& v) noexcept { return le(v); }
  constexpr bool u16(std::uint16_t& v) noexcept { return le(v); }
  constexpr bool u32(std::uint32_t& v) noexcept { return le(v); }
  constexpr bool u64(std::uint64_t& v) noexcept { return le(v); }
  constexpr bool i8(std::int8_t& v) noexcept {
    std::uint8_t u = 0;
    if (!le(u)) return false;
    v = static_cast<std::int8_t>(u);
    return true;
  }
  constexpr bool i16(std::int16_t& v) noexcept {
    std::uint16_t u = 0;
    if (!le(u)) return false;
    v = static_cast<std::int16_t>(u);
    return true;
  }

  /// Copies exactly N bytes (wire order) into a fixed array.
  template <std::size_t N>
  constexpr bool array(std::array<std::uint8_t, N>& out) noexcept {
    if (!need(N)) return false;
    for (std::size_t i = 0; i < N; ++i) out[i] = data_[pos_ + i];
    pos_ += N;
    return true;
  }

  /// A view of the next n bytes (borrowed from the input span).
  constexpr bool view(std::size_t n, byte_span& out) noexcept {
    if (!need(n)) return false;
    out = data_.subspan(pos_, n);
    pos_ += n;
    return true;
  }

  /// Everything that is left.
  constexpr byte_span rest() noexcept {
    auto r = data_.subspan(pos_);
    pos_ = data_.size();
    return r;
  }

  constexpr bool skip(std::size_t n) noexcept {
    if (!need(n)) return false;
    pos_ += n;
    return true;
  }

 private:
  constexpr bool need(std::size_t n) noexcept {
    if (!ok_ || remaining() < n) {
      ok_ = false;
      return false;
    }
    return true;
  }
  template <class U>
  constexpr bool le(U& v) noexcept {
    if (!need(sizeof(U))) return false;
    U r = 0;
    for (std::size_t i = 0; i < sizeof(U); ++i) r |= static_cast<U>(static_cast<U>(data_[pos_ + i]) << (8 * i));
    v = r;
    pos_ += sizeof(U);
    return true;
  }

  byte_span data_;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

class ByteWriter {
 public:
  explicit ByteWriter(bytes& out) noexcept : out_(out) {}

  void u8(std::uint8_t v) { out_.push_back(v); }
  void u16(std::uint16_t v) { le(v); }
  void u32(std::uint32_t v) { le(v); }
  void u64(std::uint64_t v) { le(v); }
  void i8(std::int8_t v) { u8(static_cast<std::uint8_t>(v)); }
  void i16(std::int16_t v) { u16(static_cast<std::uint16_t>(v)); }
  void raw(byte_span b) { out_.insert(out_.end(), b.begin(), b.end()); }
  template <std::size_t N>
  void array(const std::array<std::uint8_t, N>& a) { raw(a); }
  /// A string in a fixed NUL-padded field of n octets (truncated to n-1
  /// characters so that it stays NUL-terminated).
  void padded_string(std::string_view s, std::size_t n) {
    std::size_t len = s.size() < n ? s.size() : (n ? n - 1 : 0);
    out_.insert(out_.end(), s.begin(), s.begin() + static_cast<std::ptrdiff_t>(len));
    out_.insert(out_.end(), n - len, 0);
  }
  [[nodiscard]] std::size_t size() const noexcept { return out_.size(); }
  /// Overwrites a u16 at an earlier position (for length fields).
  void patch_u16(std::size_t at, std::uint16_t v) {
    out_[at] = static_cast<std::uint8_t>(v);
    out_[at + 1] = static_cast<std::uint8_t>(v >> 8);
  }

 private:
  template <class U>
  void le(U v) {
    for (std::size_t i = 0; i < sizeof(U); ++i) out_.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  bytes& out_;
};

/// Reads a NUL-padded string field: the characters before the first NUL.
inline std::string_view nul_padded(byte_span field) noexcept {
  const void* z = std::memchr(field.data(), 0, field.size());
  std::size_t n = z ? static_cast<std::size_t>(static_cast<const std::uint8_t*>(z) - field.data()) : field.size();
  return {reinterpret_cast<const char*>(field.data()), n};
}

}  // namespace bcms
