// DataView: a borrowed, comparable view of variable-length octets inside a
// decoded message (mgmt: EIR/AD data, TLV values, HCI parameters, ...).
// Part of the codec base (with bytes.hpp, address.hpp): gen/ and every
// protocol/ codec may include it; it includes nothing of theirs.
//
// Lifetime: a DataView returned by a decoder points INTO the buffer that was
// decoded; it is valid only while that buffer lives and is unchanged.  Copy
// it (to_bytes()) to keep the data.  A DataView given to an encoder must
// stay valid for the duration of the encode call only.  Decoding therefore
// never allocates for variable tails (Device Found is allocation-free).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>

#include "protocol/bytes.hpp"

namespace bcms {

struct DataView {
  byte_span data{};

  constexpr DataView() noexcept = default;
  constexpr DataView(byte_span d) noexcept : data(d) {}  // NOLINT: implicit by design
  DataView(const bytes& b) noexcept : data(b) {}          // NOLINT: borrows b

  [[nodiscard]] constexpr std::size_t size() const noexcept { return data.size(); }
  [[nodiscard]] constexpr bool empty() const noexcept { return data.empty(); }
  [[nodiscard]] constexpr auto begin() const noexcept { return data.begin(); }
  [[nodiscard]] constexpr auto end() const noexcept { return data.end(); }
  [[nodiscard]] constexpr std::uint8_t operator[](std::size_t i) const noexcept { return data[i]; }
  [[nodiscard]] constexpr operator byte_span() const noexcept { return data; }  // NOLINT
  [[nodiscard]] bytes to_bytes() const { return bytes(data.begin(), data.end()); }

  /// Content equality (a span has no operator==).
  friend bool operator==(const DataView& a, const DataView& b) noexcept {
    return std::equal(a.data.begin(), a.data.end(), b.data.begin(), b.data.end());
  }
};

}  // namespace bcms
