// bcms-mgmt-probe: the smallest possible talk with the kernel's Bluetooth
// management interface, used by the VM tier (tests/vm/mgmt_probe.sh) to
// check that a project binary reaches the real mgmt socket.
//
// It opens a raw HCI socket bound to the control channel, sends
//   Read Management Version Information (opcode 0x0001) and
//   Read Controller Index List           (opcode 0x0003)
// on the non-controller index, and prints (stable format, one line each):
//   version <major>.<revision>
//   index list: <index> <index> ...
// Exit status: 0 on success, 1 on any error (message on stderr).
//
// Deliberately self-contained: plain POSIX sockets, no asio, no BlueZ
// headers (the few socket constants are defined below).  Parsing goes
// through the project's bounds-checked ByteReader.

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "protocol/bytes.hpp"

namespace {

// Socket address of the management channel (Linux include/net/bluetooth/
// bluetooth.h and hci_sock.h; mgmt-api.txt "Overview": HCI_CHANNEL_CONTROL
// on HCI_DEV_NONE).
constexpr int kAfBluetooth = 31;          // AF_BLUETOOTH
constexpr int kBtprotoHci = 1;            // BTPROTO_HCI
constexpr std::uint16_t kHciDevNone = 0xffff;
constexpr std::uint16_t kHciChannelControl = 3;

struct SockaddrHci {   // layout of struct sockaddr_hci
  sa_family_t family;
  std::uint16_t dev;
  std::uint16_t channel;
};

// mgmt-api.txt "Packet Structures": every command and event starts with
// Opcode/Event Code (2 octets), Controller Index (2), Parameter Length (2),
// all little endian.
constexpr std::uint16_t kIndexNone = 0xffff;
constexpr std::uint16_t kOpReadVersion = 0x0001;    // "Read Management Version Information Command"
constexpr std::uint16_t kOpReadIndexList = 0x0003;  // "Read Controller Index List Command"
constexpr std::uint16_t kEvCmdComplete = 0x0001;    // "Command Complete Event"
constexpr std::uint16_t kEvCmdStatus = 0x0002;      // "Command Status Event"
constexpr int kReplyTimeoutMs = 3000;

class Fd {
 public:
  explicit Fd(int fd) noexcept : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  [[nodiscard]] int get() const noexcept { return fd_; }

 private:
  int fd_;
};

bool fail(const char* what, int err) {
  std::fprintf(stderr, "bcms-mgmt-probe: %s: %s\n", what, std::strerror(err));
  return false;
}

bool send_command(int fd, std::uint16_t opcode, std::uint16_t index) {
  bcms::bytes frame;
  bcms::ByteWriter w(frame);
  w.u16(opcode);
  w.u16(index);
  w.u16(0);  // no parameters
  ssize_t n = ::write(fd, frame.data(), frame.size());
  if (n < 0) return fail("write", errno);
  if (static_cast<std::size_t>(n) != frame.size()) return fail("write", EIO);
  return true;
}

// Waits for the Command Complete of `opcode` and returns its return
// parameters.  Other events (Index Added, ...) are skipped.  Command
// Complete Event parameters: Command Opcode (2), Status (1), Return
// Parameters (rest); Command Status Event: Command Opcode (2), Status (1).
std::optional<bcms::bytes> await_complete(int fd, std::uint16_t opcode) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int r = ::poll(&p, 1, kReplyTimeoutMs);
    if (r < 0) {
      if (errno == EINTR) continue;
      fail("poll", errno);
      return std::nullopt;
    }
    if (r == 0) {
      std::fprintf(stderr, "bcms-mgmt-probe: no reply to opcode 0x%04x within %d ms\n",
                   opcode, kReplyTimeoutMs);
      return std::nullopt;
    }
    std::uint8_t buf[1024];
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("read", errno);
      return std::nullopt;
    }
    bcms::ByteReader rd(bcms::byte_span(buf, static_cast<std::size_t>(n)));
    std::uint16_t event = 0, index = 0, plen = 0, cmd = 0;
    std::uint8_t status = 0;
    rd.u16(event);
    rd.u16(index);
    rd.u16(plen);
    if (!rd.ok() || plen != rd.remaining()) {
      std::fprintf(stderr, "bcms-mgmt-probe: malformed event (%zd bytes)\n", n);
      return std::nullopt;
    }
    if (event != kEvCmdComplete && event != kEvCmdStatus) continue;
    rd.u16(cmd);
    rd.u8(status);
    if (!rd.ok()) {
      std::fprintf(stderr, "bcms-mgmt-probe: short event 0x%04x\n", event);
      return std::nullopt;
    }
    if (cmd != opcode) continue;
    if (status != 0 || event == kEvCmdStatus) {
      std::fprintf(stderr, "bcms-mgmt-probe: opcode 0x%04x failed, mgmt status 0x%02x\n", opcode, status);
      return std::nullopt;
    }
    auto rest = rd.rest();
    return bcms::bytes(rest.begin(), rest.end());
  }
}

// Read Management Version Information return parameters: Version (1),
// Revision (2).
bool print_version(int fd) {
  if (!send_command(fd, kOpReadVersion, kIndexNone)) return false;
  auto params = await_complete(fd, kOpReadVersion);
  if (!params) return false;
  bcms::ByteReader rd(*params);
  std::uint8_t version = 0;
  std::uint16_t revision = 0;
  rd.u8(version);
  rd.u16(revision);
  if (!rd.ok()) {
    std::fprintf(stderr, "bcms-mgmt-probe: version reply too short (%zu bytes)\n", params->size());
    return false;
  }
  std::printf("version %u.%u\n", static_cast<unsigned>(version), static_cast<unsigned>(revision));
  return true;
}

// Read Controller Index List return parameters: Num_Controllers (2),
// Controller_Index[i] (2 each).
bool print_index_list(int fd) {
  if (!send_command(fd, kOpReadIndexList, kIndexNone)) return false;
  auto params = await_complete(fd, kOpReadIndexList);
  if (!params) return false;
  bcms::ByteReader rd(*params);
  std::uint16_t count = 0;
  rd.u16(count);
  std::vector<std::uint16_t> indices(count);
  for (auto& i : indices) rd.u16(i);
  if (!rd.ok() || !rd.empty()) {
    std::fprintf(stderr, "bcms-mgmt-probe: index list reply of %zu bytes does not hold %u indices\n",
                 params->size(), static_cast<unsigned>(count));
    return false;
  }
  std::printf("index list:");
  for (auto i : indices) std::printf(" %u", static_cast<unsigned>(i));
  std::printf("\n");
  return true;
}

}  // namespace

int main() {
  Fd fd(::socket(kAfBluetooth, SOCK_RAW | SOCK_CLOEXEC, kBtprotoHci));
  if (fd.get() < 0) {
    fail("socket(AF_BLUETOOTH, SOCK_RAW, BTPROTO_HCI)", errno);
    return 1;
  }
  SockaddrHci addr{static_cast<sa_family_t>(kAfBluetooth), kHciDevNone, kHciChannelControl};
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0) {
    fail("bind(HCI_CHANNEL_CONTROL)", errno);
    return 1;
  }
  if (!print_version(fd.get())) return 1;
  if (!print_index_list(fd.get())) return 1;
  std::fflush(stdout);
  return 0;
}
