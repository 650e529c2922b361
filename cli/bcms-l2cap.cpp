// bcms-l2cap: moves bytes over L2CAP LE credit-based channels with the
// stack's l2cap::Channel, for the VM tier (tests/vm/l2cap_coc.sh) and for
// measuring throughput against BlueZ's l2test.
//
//   bcms-l2cap listen --psm P [--mtu N] [--channels K] [--receive FILE]
//                     [--count N] [--l2test] [--echo]
//   bcms-l2cap connect ADDR --type le_public|le_random --psm P [--mtu N]
//                     [--channels K] [--send FILE | --bytes N] [--l2test]
//
// listen accepts K channels (default 1) and receives on each until the
// peer closes or --count octets arrived (then it closes the channel).
// --echo sends every SDU back as it arrives (the raw L2CAP round trip that
// tests/bench/vm/central_bench.cpp compares ATT reads with).
// connect opens K channels to ADDR (one LE link: the kernel reuses it) and
// sends on each: FILE, or N generated octets (channel i's pattern depends
// on i, so crossed streams show), in SDUs of the peer's MTU; then it waits
// for the peer to close (--linger seconds) and closes.  --l2test sends and
// checks l2test's frames instead (tools/l2test.c: le32 sequence number,
// le16 frame length, then 0x7f octets; one frame per SDU).
//
// Output, one line per event (the VM scenario greps these):
//   connected|accepted ADDR psm P send_mtu S receive_mtu R mode M
//   channel I: sent|received B bytes in N SDUs crc32 0xXXXXXXXX truncated T
//              time SECS rate MB/s
//   channel I: l2test frames OK ok BAD bad
//   channel I: ended: REASON
// Exit status: 0 when every channel did its part, 1 otherwise, 2 on usage.
#include <CLI/CLI.hpp>
#include <asio/io_context.hpp>
#include <asio/signal_set.hpp>
#include <asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "src/l2cap/channel.hpp"
#include "src/l2cap/coc.hpp"

namespace {

using namespace bcms;
using namespace bcms::l2cap;
using Clock = std::chrono::steady_clock;

// CRC-32 (IEEE 802.3, reflected, poly 0xEDB88320), as zlib's crc32().
class Crc32 {
 public:
  Crc32() {
    for (std::uint32_t i = 0; i < 256; ++i) {
      std::uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      table_[i] = c;
    }
  }
  void update(byte_span data) {
    for (std::uint8_t b : data) crc_ = table_[(crc_ ^ b) & 0xff] ^ (crc_ >> 8);
  }
  [[nodiscard]] std::uint32_t value() const { return crc_ ^ 0xffffffffu; }

 private:
  std::uint32_t table_[256]{};
  std::uint32_t crc_ = 0xffffffffu;
};

struct Config {
  std::uint16_t psm = 0;
  std::uint16_t mtu = 672;
  unsigned channels = 1;
  std::string file;          // --send / --receive
  std::uint64_t count = 0;   // listen --count, connect --bytes
  bool l2test = false;
  bool echo = false;         // listen: every SDU sent back
  double linger = 10;        // connect: seconds to wait for the peer to close
  double timeout = 20;       // connect timeout, seconds
  std::size_t queue = 16 * 1024;
};

/// The octet at `offset` of channel `i`'s generated stream.
std::uint8_t pattern(unsigned i, std::uint64_t offset) {
  return static_cast<std::uint8_t>((offset * 131 + (offset >> 8) + i * 17 + 1) & 0xff);
}

std::string describe(std::error_code ec) { return ec.message() + " (" + ec.category().name() + ":" + std::to_string(ec.value()) + ")"; }

/// One channel's transfer, either direction.
class Transfer : public std::enable_shared_from_this<Transfer> {
 public:
  Transfer(unsigned index, std::shared_ptr<Channel> ch, const Config& cfg, asio::io_context& io)
      : index_(index), ch_(std::move(ch)), cfg_(cfg), linger_(io) {}

  bool ok = false;
  bool finished = false;
  std::function<void()> on_finish;

  void receive() {
    if (!cfg_.file.empty()) {
      const std::string name = cfg_.channels > 1 ? cfg_.file + "." + std::to_string(index_) : cfg_.file;
      out_.open(name, std::ios::binary | std::ios::trunc);
      if (!out_) {
        std::fprintf(stderr, "bcms-l2cap: cannot write %s\n", name.c_str());
        return finish(false);
      }
    }
    auto self = shared_from_this();
    ch_->on_closed([self](std::error_code ec) {
      // The peer closing is the normal end of an open-ended receive.
      self->report("received");
      std::printf("channel %u: ended: %s\n", self->index_, describe(ec).c_str());
      const bool complete = self->cfg_.count == 0 || self->bytes_ >= self->cfg_.count;
      self->finish((ec == asio::error::eof || ec == asio::error::connection_reset || ec == asio::error::operation_aborted) &&
                   complete && self->bad_ == 0);
    });
    ch_->start([self](std::error_code ec, byte_span sdu) { self->on_sdu(ec, sdu); });
  }

  void send() {
    auto self = shared_from_this();
    ch_->on_closed([self](std::error_code ec) {
      std::printf("channel %u: ended: %s\n", self->index_, describe(ec).c_str());
      self->finish(self->all_sent_ && (ec == asio::error::eof || ec == asio::error::operation_aborted ||
                                       ec == asio::error::connection_reset));
    });
    // Read too: the peer's close (EOF) tells us it has everything.
    ch_->start([](std::error_code, byte_span) {});
    if (!cfg_.file.empty()) {
      in_.open(cfg_.file, std::ios::binary);
      if (!in_) {
        std::fprintf(stderr, "bcms-l2cap: cannot read %s\n", cfg_.file.c_str());
        return finish(false);
      }
    }
    start_ = Clock::now();
    send_more();
  }

 private:
  void on_sdu(std::error_code ec, byte_span sdu) {
    if (sdus_ == 0) start_ = Clock::now();
    last_ = Clock::now();
    ++sdus_;
    bytes_ += sdu.size();
    crc_.update(sdu);
    if (ec) ++truncated_;
    if (out_.is_open()) out_.write(reinterpret_cast<const char*>(sdu.data()), static_cast<std::streamsize>(sdu.size()));
    if (cfg_.l2test) check_l2test_frame(sdu);
    if (cfg_.echo && !ec) ch_->send_when_room(bytes(sdu.begin(), sdu.end()), [](std::error_code) {});
    if (cfg_.count && bytes_ >= cfg_.count) ch_->close();  // all there: our close is the peer's EOF
  }

  void check_l2test_frame(byte_span f) {
    bool good = f.size() >= 6;
    if (good) {
      const std::uint32_t seq = f[0] | (f[1] << 8) | (f[2] << 16) | (static_cast<std::uint32_t>(f[3]) << 24);
      const std::uint16_t len = static_cast<std::uint16_t>(f[4] | (f[5] << 8));
      good = seq == seq_ && len == f.size();
      for (std::size_t k = 6; good && k < f.size(); ++k) good = f[k] == 0x7f;
      seq_ = seq + 1;
    }
    ++(good ? good_ : bad_);
  }

  /// The next SDU to send, empty at the end.
  bytes next_sdu() {
    const std::size_t mtu = ch_->send_mtu();
    if (in_.is_open()) {
      bytes b(mtu);
      in_.read(reinterpret_cast<char*>(b.data()), static_cast<std::streamsize>(mtu));
      b.resize(static_cast<std::size_t>(in_.gcount()));
      return b;
    }
    if (bytes_ >= cfg_.count) return {};
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(mtu, cfg_.count - bytes_));
    bytes b(n);
    if (cfg_.l2test) {
      // l2test frames: seq, length (both little endian), 0x7f filler.
      for (std::size_t k = 0; k < n; ++k) b[k] = 0x7f;
      for (std::size_t k = 0; k < 4 && k < n; ++k) b[k] = static_cast<std::uint8_t>(seq_ >> (8 * k));
      if (n >= 6) {
        b[4] = static_cast<std::uint8_t>(n);
        b[5] = static_cast<std::uint8_t>(n >> 8);
      }
      ++seq_;
    } else {
      for (std::size_t k = 0; k < n; ++k) b[k] = pattern(index_, bytes_ + k);
    }
    return b;
  }

  /// Keeps the queue full: send() while there is room, then
  /// send_when_room() one SDU and continue when it was taken.
  void send_more() {
    for (;;) {
      bytes sdu = next_sdu();
      if (sdu.empty()) return all_queued();
      const std::size_t n = sdu.size();
      crc_.update(sdu);
      bytes_ += n;
      ++sdus_;
      if (ch_->has_room(n)) {
        if (const std::error_code ec = ch_->send(std::move(sdu))) {
          std::printf("channel %u: send failed: %s\n", index_, describe(ec).c_str());
          return finish(false);
        }
        continue;
      }
      // Queue full: wait until the kernel took enough (back-pressure).
      auto self = shared_from_this();
      ch_->send_when_room(std::move(sdu), [self](std::error_code e) {
        if (e) return;  // on_closed reports the end
        self->send_more();
      });
      return;
    }
  }

  void all_queued() {
    auto self = shared_from_this();
    ch_->on_drained([self](std::error_code ec) {
      if (ec) return;
      self->last_ = Clock::now();
      self->all_sent_ = true;
      self->report("sent");
      // Wait for the peer's close: closing now could drop K-frames that
      // the kernel still holds for want of credits.
      self->linger_.expires_after(std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(self->cfg_.linger)));
      self->linger_.async_wait([self](std::error_code e) {
        if (e) return;
        std::printf("channel %u: the peer did not close within %.1f s; closing\n", self->index_, self->cfg_.linger);
        self->ch_->close();
      });
    });
  }

  void report(const char* what) {
    if (reported_) return;
    reported_ = true;
    const double secs = sdus_ ? std::chrono::duration<double>(last_ - start_).count() : 0.0;
    const double rate = secs > 0 ? static_cast<double>(bytes_) / secs / 1e6 : 0.0;
    std::printf("channel %u: %s %llu bytes in %llu SDUs crc32 0x%08x truncated %llu time %.3f rate %.3f MB/s\n", index_, what,
                static_cast<unsigned long long>(bytes_), static_cast<unsigned long long>(sdus_), crc_.value(),
                static_cast<unsigned long long>(truncated_), secs, rate);
    if (cfg_.l2test && std::string(what) == "received")
      std::printf("channel %u: l2test frames %llu ok %llu bad\n", index_, static_cast<unsigned long long>(good_),
                  static_cast<unsigned long long>(bad_));
  }

  void finish(bool success) {
    if (finished) return;
    finished = true;
    ok = success;
    linger_.cancel();
    if (out_.is_open()) out_.close();
    ch_->close();
    if (on_finish) on_finish();
  }

  unsigned index_;
  std::shared_ptr<Channel> ch_;
  const Config& cfg_;
  asio::steady_timer linger_;
  std::ofstream out_;
  std::ifstream in_;
  Crc32 crc_;
  std::uint64_t bytes_ = 0, sdus_ = 0, truncated_ = 0, good_ = 0, bad_ = 0;
  std::uint32_t seq_ = 0;
  bool all_sent_ = false;
  bool reported_ = false;
  Clock::time_point start_{}, last_{};
};

struct Run {
  asio::io_context io;
  Config cfg;
  std::vector<std::shared_ptr<Transfer>> transfers;
  unsigned ended = 0;
  bool failed = false;

  void describe_socket(const char* what, Socket& s, const Endpoint& peer) {
    const int fd = s.native_handle();
    const auto smtu = get_send_mtu(fd), rmtu = get_receive_mtu(fd);
    const auto mode = get_mode(fd);
    std::printf("%s %s psm %u send_mtu %u receive_mtu %u mode %s\n", what, peer.addr.to_string().c_str(), cfg.psm,
                smtu ? *smtu : 0u, rmtu ? *rmtu : 0u,
                mode ? (*mode == Mode::le_flowctl ? "le_flowctl" : std::to_string(static_cast<int>(*mode)).c_str())
                     : ("? (" + mode.error().message() + ")").c_str());
    std::fflush(stdout);
  }

  /// Wraps an open socket in a Channel and starts its transfer.
  void start(Socket s, bool sending) {
    const unsigned index = static_cast<unsigned>(transfers.size());
    Channel::Options o;
    o.max_queued_bytes = cfg.queue;
    auto ch = Channel::create(std::move(s), o);
    if (!ch) {
      std::printf("channel %u: %s\n", index, describe(ch.error()).c_str());
      failed = true;
      return end_one();
    }
    auto t = std::make_shared<Transfer>(index, *ch, cfg, io);
    t->on_finish = [this] { end_one(); };
    transfers.push_back(t);
    if (sending) t->send();
    else t->receive();
  }

  void end_one() {
    if (++ended >= cfg.channels) io.stop();
  }

  int result() {
    std::fflush(stdout);
    if (failed || transfers.size() < cfg.channels) return 1;
    for (auto& t : transfers)
      if (!t->ok) return 1;
    return 0;
  }
};

int do_listen(Run& r) {
  auto l = listen_coc(r.io, Endpoint{{}, AddressType::le_public, r.cfg.psm, 0}, r.cfg.mtu);
  if (!l) {
    std::fprintf(stderr, "bcms-l2cap: listen on psm %u: %s\n", r.cfg.psm, describe(l.error()).c_str());
    return 1;
  }
  std::unique_ptr<Listener> listener = std::move(*l);
  std::printf("listening psm %u mtu %u\n", r.cfg.psm, r.cfg.mtu);
  std::fflush(stdout);
  std::function<void()> accept_next = [&] {
    listener->async_accept([&](std::error_code ec, Listener::Accepted a) {
      if (ec) {
        std::fprintf(stderr, "bcms-l2cap: accept: %s\n", describe(ec).c_str());
        r.failed = true;
        r.io.stop();
        return;
      }
      r.describe_socket("accepted", a.socket, a.peer);
      const bool more = r.transfers.size() + 1 < r.cfg.channels;
      r.start(std::move(a.socket), false);
      if (more) accept_next();
    });
  };
  accept_next();
  r.io.run();
  return r.result();
}

int do_connect(Run& r, const std::string& addr_text, const std::string& type_text, const std::string& local_text) {
  auto addr = Address::parse(addr_text);
  if (!addr) {
    std::fprintf(stderr, "bcms-l2cap: bad address %s\n", addr_text.c_str());
    return 2;
  }
  Endpoint local{};
  if (!local_text.empty()) {
    auto la = Address::parse(local_text);
    if (!la) {
      std::fprintf(stderr, "bcms-l2cap: bad local address %s\n", local_text.c_str());
      return 2;
    }
    local.addr = *la;
  }
  const Endpoint remote{*addr, type_text == "le_random" ? AddressType::le_random : AddressType::le_public, r.cfg.psm, 0};
  const auto timeout = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(r.cfg.timeout));
  for (unsigned i = 0; i < r.cfg.channels; ++i) {
    connect_coc(r.io, local, remote, r.cfg.mtu, timeout, [&r, remote](std::error_code ec, Socket s) {
      if (ec) {
        std::printf("connect %s psm %u: %s\n", remote.addr.to_string().c_str(), remote.psm, describe(ec).c_str());
        r.failed = true;
        return r.end_one();
      }
      r.describe_socket("connected", s, remote);
      r.start(std::move(s), true);
    });
  }
  r.io.run();
  return r.result();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcms-l2cap: bytes over L2CAP LE credit-based channels (l2cap::Channel)"};
  app.require_subcommand(1);
  Run r;
  std::string addr, type = "le_public", local;
  auto common = [&](CLI::App* c) {
    c->add_option("--psm", r.cfg.psm, "PSM (LE: 0x0001-0x00ff)")->required();
    c->add_option("--mtu", r.cfg.mtu, "our receive MTU (BT_RCVMTU), 23-65535")->check(CLI::Range(23, 65535));
    c->add_option("--channels", r.cfg.channels, "channels to accept / open")->check(CLI::Range(1, 16));
    c->add_option("--queue", r.cfg.queue, "bound of each channel's send queue, octets");
    c->add_flag("--l2test", r.cfg.l2test, "l2test's frames (seq, length, 0x7f filler)");
  };
  auto* listen = app.add_subcommand("listen", "accept channels and receive");
  common(listen);
  listen->add_option("--receive", r.cfg.file, "write what arrives to FILE (FILE.I for several channels)");
  listen->add_option("--count", r.cfg.count, "close each channel after N octets");
  listen->add_flag("--echo", r.cfg.echo, "send every SDU back");
  auto* connect = app.add_subcommand("connect", "open channels and send");
  common(connect);
  connect->add_option("addr", addr, "peer address")->required();
  connect->add_option("--type", type, "peer address type")->check(CLI::IsMember({"le_public", "le_random"}));
  connect->add_option("--local", local, "our controller's address (default: any)");
  auto* send_file = connect->add_option("--send", r.cfg.file, "send FILE");
  connect->add_option("--bytes", r.cfg.count, "send N generated octets")->excludes(send_file);
  connect->add_option("--linger", r.cfg.linger, "seconds to wait for the peer's close after the last SDU");
  connect->add_option("--timeout", r.cfg.timeout, "connect timeout, seconds");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (*listen) return do_listen(r);
  if (r.cfg.file.empty() && r.cfg.count == 0) {
    std::fprintf(stderr, "bcms-l2cap: connect needs --send FILE or --bytes N\n");
    return 2;
  }
  return do_connect(r, addr, type, local);
}
