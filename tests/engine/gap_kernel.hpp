// A scripted fake kernel for the GAP engine tests: the far end of a
// socketpair(AF_UNIX, SOCK_SEQPACKET) whose near end is the MgmtChannel's.
// It runs on the same io_context, records every command, and answers each
// with Command Complete: a per-opcode handler when the test set one, else
// success with zeroed Return Parameters of the size mgmt-api.txt gives.
// Frames are built by hand (fake_kernel.hpp helpers), not by the codec
// under test.
#pragma once

#include <asio/awaitable.hpp>

#include <asio/generic/raw_protocol.hpp>
#include <asio/io_context.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "src/mgmt/channel.hpp"
#include "tests/engine/fake_kernel.hpp"

namespace bcms::test {

struct Command {
  std::uint16_t opcode = 0;
  std::uint16_t index = 0;
  bytes params;
};

/// A handler's answer: status and Return Parameters.
struct Answer {
  std::uint8_t status = 0;
  bytes ret;
  bool hold = false;  // no reply now: the test calls ScriptedKernel::reply() later
};

class ScriptedKernel {
 public:
  using Socket = asio::generic::raw_protocol::socket;

  /// Opens the pair; channel() is the near end, ready for MgmtChannel.
  explicit ScriptedKernel(asio::io_context& io) : io_(io), sock_(io) {
    auto [a, b] = seqpacket_pair();
    near_ = a;
    sock_.assign(asio::generic::raw_protocol(AF_UNIX, 0), b);
    read();
  }
  ~ScriptedKernel() {
    std::error_code ignored;
    sock_.close(ignored);
  }
  ScriptedKernel(const ScriptedKernel&) = delete;
  ScriptedKernel& operator=(const ScriptedKernel&) = delete;

  /// The near end as the MgmtChannel's socket (call once).
  mgmt::MgmtChannel::socket_type channel_socket() {
    mgmt::MgmtChannel::socket_type s(io_);
    s.assign(asio::generic::raw_protocol(AF_UNIX, 0), near_);
    return s;
  }

  /// Answers `opcode` with the handler's result from now on.
  void on(std::uint16_t opcode, std::function<Answer(const Command&)> h) { handlers_[opcode] = std::move(h); }
  /// Replies to a command a handler held (Answer::hold).
  void reply(std::uint16_t index, std::uint16_t opcode, std::uint8_t status, const bytes& ret) {
    write(cmd_complete(index, opcode, status, ret));
  }
  /// Sends an event.
  void event(std::uint16_t code, std::uint16_t index, const bytes& params) { write(mgmt_packet(code, index, params)); }

  std::vector<Command> commands;  // every command received, in order

  /// Opcodes received, in order.
  [[nodiscard]] std::vector<std::uint16_t> opcodes() const {
    std::vector<std::uint16_t> v;
    for (const auto& c : commands) v.push_back(c.opcode);
    return v;
  }
  /// The parameters of the n-th (0-based) command with this opcode.
  [[nodiscard]] std::optional<bytes> params(std::uint16_t opcode, std::size_t nth = 0) const {
    for (const auto& c : commands)
      if (c.opcode == opcode && nth-- == 0) return c.params;
    return std::nullopt;
  }
  [[nodiscard]] std::size_t count(std::uint16_t opcode) const {
    std::size_t n = 0;
    for (const auto& c : commands) n += c.opcode == opcode;
    return n;
  }

  /// Return Parameter sizes of the commands the GAP layer sends
  /// (mgmt-api.txt), for the default success answer.
  static std::size_t reply_size(std::uint16_t opcode) {
    switch (opcode) {
      case 0x0004: return 280;  // Read Controller Information
      case 0x0005: case 0x0007: case 0x0009: case 0x000D: case 0x0029: return 4;  // Current_Settings
      case 0x000F: return 260;  // Set Local Name: Name, Short_Name
      case 0x001C: case 0x001D: case 0x001E: case 0x001F: return 7;  // user replies: address
      case 0x003D: return 8;    // Read Advertising Features (no instances)
      case 0x003E: case 0x003F: return 1;  // Add/Remove Advertising: Instance
      case 0x0040: return 7;    // Get Advertising Size Information
      default: return 0;        // Set IO Capability, Load LTKs, Load IRKs, Set Appearance
    }
  }

 private:
  void read() {
    sock_.async_receive(asio::buffer(buf_), [this](std::error_code ec, std::size_t n) {
      if (ec) return;
      if (n >= 6) {
        Command c{static_cast<std::uint16_t>(buf_[0] | buf_[1] << 8), static_cast<std::uint16_t>(buf_[2] | buf_[3] << 8),
                  bytes(buf_.begin() + 6, buf_.begin() + static_cast<std::ptrdiff_t>(n))};
        commands.push_back(c);
        Answer a;
        auto h = handlers_.find(c.opcode);
        if (h != handlers_.end()) a = h->second(c);
        else a.ret = bytes(reply_size(c.opcode), 0);
        if (!a.hold) write(cmd_complete(c.index, c.opcode, a.status, a.ret));
      }
      read();
    });
  }
  void write(const bytes& pkt) {
    if (::send(sock_.native_handle(), pkt.data(), pkt.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(pkt.size()))
      throw std::runtime_error("scripted kernel: send failed");
  }

  asio::io_context& io_;
  Socket sock_;
  int near_ = -1;
  std::array<std::uint8_t, 4096> buf_{};
  std::map<std::uint16_t, std::function<Answer(const Command&)>> handlers_;
};

/// Read Controller Information Return Parameters (280 octets): address,
/// version 0x09, manufacturer 0x05F1, supported/current settings, class,
/// name (249), short name (11).
inline bytes controller_info(const bytes& address_wire, std::uint32_t supported, std::uint32_t current) {
  bytes r = address_wire;
  r.push_back(0x09);
  r.push_back(0xF1);
  r.push_back(0x05);
  for (int i = 0; i < 4; ++i) r.push_back(static_cast<std::uint8_t>(supported >> (8 * i)));
  for (int i = 0; i < 4; ++i) r.push_back(static_cast<std::uint8_t>(current >> (8 * i)));
  r.insert(r.end(), 3 + 249 + 11, 0);
  return r;
}

/// Read Advertising Features Return Parameters: Supported_Flags,
/// Max_Adv_Data_Len, Max_Scan_Rsp_Len, Max_Instances, Num_Instances = 0.
inline bytes adv_features(std::uint32_t flags, std::uint8_t max_adv, std::uint8_t max_scan, std::uint8_t max_inst) {
  return {static_cast<std::uint8_t>(flags), static_cast<std::uint8_t>(flags >> 8), static_cast<std::uint8_t>(flags >> 16),
          static_cast<std::uint8_t>(flags >> 24), max_adv, max_scan, max_inst, 0x00};
}

/// Get Advertising Size Information as Linux computes it for legacy
/// advertising (net/bluetooth/mgmt.c tlv_data_max_len): 31 octets, minus 3
/// for the Flags field the kernel adds when a discoverable flag is set,
/// minus 3 for TX Power; the scan response keeps 31.
inline Answer linux_size_info(const Command& c) {
  const std::uint32_t flags = c.params[1] | c.params[2] << 8 | c.params[3] << 16 | static_cast<std::uint32_t>(c.params[4]) << 24;
  std::uint8_t adv = 31;
  if (flags & 0x0E) adv -= 3;  // discoverable, limited discoverable, managed flags
  if (flags & 0x10) adv -= 3;  // TX power
  bytes r(c.params.begin(), c.params.begin() + 5);
  r.push_back(adv);
  r.push_back(31);
  return {0, r};
}

}  // namespace bcms::test

#include <asio/co_spawn.hpp>
#include <chrono>
#include <exception>
#include <stdexcept>

namespace bcms::test {

/// Runs a coroutine on `io` to completion (at most `limit`) and returns
/// its result; throws when it does not finish.
template <class T>
T await_on(asio::io_context& io, asio::awaitable<T> aw, std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  std::optional<T> result;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e, T v) {
    error = e;
    result.emplace(std::move(v));
  });
  if (!run_until(io, [&] { return result.has_value(); }, limit)) throw std::runtime_error("coroutine did not finish");
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void await_on(asio::io_context& io, asio::awaitable<void> aw,
                     std::chrono::milliseconds limit = std::chrono::milliseconds(3000)) {
  bool done = false;
  std::exception_ptr error;
  asio::co_spawn(io, std::move(aw), [&](std::exception_ptr e) {
    error = e;
    done = true;
  });
  if (!run_until(io, [&] { return done; }, limit)) throw std::runtime_error("coroutine did not finish");
  if (error) std::rethrow_exception(error);
}

/// A little-endian 16/32/64-bit value appended to `b`.
inline void le(bytes& b, std::uint64_t v, int n) {
  for (int i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

}  // namespace bcms::test
