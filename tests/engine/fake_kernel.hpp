// A scripted fake kernel for engine tests: the far end of a
// socketpair(AF_UNIX, SOCK_SEQPACKET) whose near end is given to the engine.
// Frames are built here by hand (mgmt-api.txt "Packet Structures"), not by
// the codec under test.
#pragma once

#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <utility>
#include <vector>

#include <asio/io_context.hpp>

#include "protocol/bytes.hpp"

namespace bcms::test {

inline std::pair<int, int> seqpacket_pair() {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
  return {fds[0], fds[1]};
}

/// header(code, index, len) + params, all little-endian.
inline bytes mgmt_packet(std::uint16_t code, std::uint16_t index, const bytes& params) {
  bytes out{static_cast<std::uint8_t>(code), static_cast<std::uint8_t>(code >> 8),
            static_cast<std::uint8_t>(index), static_cast<std::uint8_t>(index >> 8),
            static_cast<std::uint8_t>(params.size()), static_cast<std::uint8_t>(params.size() >> 8)};
  out.insert(out.end(), params.begin(), params.end());
  return out;
}

/// Command Complete (0x0001): opcode, status, return parameters.
inline bytes cmd_complete(std::uint16_t index, std::uint16_t opcode, std::uint8_t status, const bytes& ret = {}) {
  bytes p{static_cast<std::uint8_t>(opcode), static_cast<std::uint8_t>(opcode >> 8), status};
  p.insert(p.end(), ret.begin(), ret.end());
  return mgmt_packet(0x0001, index, p);
}

/// Command Status (0x0002): opcode, status.
inline bytes cmd_status(std::uint16_t index, std::uint16_t opcode, std::uint8_t status) {
  return mgmt_packet(0x0002, index, {static_cast<std::uint8_t>(opcode), static_cast<std::uint8_t>(opcode >> 8), status});
}

class FakePeer {
 public:
  explicit FakePeer(int fd) : fd_(fd) {}
  ~FakePeer() { close(); }
  FakePeer(const FakePeer&) = delete;
  FakePeer& operator=(const FakePeer&) = delete;

  void write(const bytes& pkt) {
    if (::send(fd_, pkt.data(), pkt.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(pkt.size()))
      throw std::runtime_error("fake peer: send failed");
  }
  /// One packet if one is waiting (non-blocking).
  std::optional<bytes> try_read() {
    bytes buf(70000);
    ssize_t n = ::recv(fd_, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) return std::nullopt;
    buf.resize(static_cast<std::size_t>(n));
    return buf;
  }
  /// Runs the loop until a packet arrives (or 2 s pass: throws).
  bytes read(asio::io_context& io) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
    while (std::chrono::steady_clock::now() < deadline) {
      if (auto p = try_read()) return *p;
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    throw std::runtime_error("fake peer: nothing was sent");
  }
  void close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_;
};

/// Runs the loop until pred() holds; false after `limit`.
inline bool run_until(asio::io_context& io, const std::function<bool()>& pred,
                      std::chrono::milliseconds limit = std::chrono::milliseconds(2000)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    io.restart();
    io.run_for(std::chrono::milliseconds(2));
  }
  return true;
}

/// Opcode and index of a command packet read by the fake kernel.
inline std::pair<std::uint16_t, std::uint16_t> op_index(const bytes& pkt) {
  if (pkt.size() < 6) throw std::runtime_error("short command");
  return {static_cast<std::uint16_t>(pkt[0] | pkt[1] << 8), static_cast<std::uint16_t>(pkt[2] | pkt[3] << 8)};
}

}  // namespace bcms::test
