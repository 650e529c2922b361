// bcms-central-probe: the central role's connection management on a real
// kernel, for the VM tier (tests/vm/central_scan_connect.sh).
//
//   bcms-central-probe connect PEER [--index N] [--addr-type public|random]
//        [--discover] [--relax] [--hold-ms MS] [--stale] [--deadline S]
//     Optionally starts discovery through the ScanPolicy (--discover),
//     connects to PEER's ATT channel through the ConnectionManager (fast
//     connection parameters loaded, discovery paused for the attempt),
//     discovers the primary services, loads the relaxed parameters
//     (--relax), holds the link, drops it and waits for discovery to run
//     again.  --stale first opens an ATT socket of its own to PEER and keeps
//     it: the kernel then refuses the manager's connect as busy, and the
//     manager must recover (mgmt Disconnect, retry).
//   bcms-central-probe errno PEER [--other ADDR] [--index N]
//     What Linux answers to colliding L2CAP connects (non-blocking
//     connect(2) on ATT sockets): a second socket to PEER while the first
//     is connecting, a third while it is connected, and a pending connect
//     to another (absent) device while one to PEER is pending.
//
// Output: one line per event, "[+MS ms] what", for the scenario to grep.
// Exit status: 0 when everything asked for worked, 1 otherwise, 2 on usage.
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

#include <CLI/CLI.hpp>
#include <asio/co_spawn.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <asio/use_awaitable.hpp>
#include <chrono>
#include <cstdio>
#include <optional>
#include <string>

#include "gen/mgmt_types.hpp"
#include "protocol/sys_error.hpp"
#include "src/att/gatt_client.hpp"
#include "src/central/connections.hpp"
#include "src/mgmt/call.hpp"
#include "src/mgmt/control_socket.hpp"

namespace {

using namespace bcms;
using clock_type = std::chrono::steady_clock;
const clock_type::time_point t0 = clock_type::now();

template <class... A>
void say(const char* fmt, A... a) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
  std::printf("[+%lld ms] ", static_cast<long long>(ms));
  if constexpr (sizeof...(A) == 0) std::fputs(fmt, stdout);
  else std::printf(fmt, a...);
  std::fputc('\n', stdout);
  std::fflush(stdout);
}

struct Args {
  std::string peer;
  std::string other = "00:AA:01:00:00:77";
  std::string addr_type = "public";
  int index = 0;
  bool discover = false;
  bool relax = false;
  bool stale = false;
  int hold_ms = 1500;
  double deadline_s = 20;
};

asio::awaitable<void> sleep_ms(int ms) {
  asio::steady_timer t(co_await asio::this_coro::executor, std::chrono::milliseconds(ms));
  co_await t.async_wait(asio::use_awaitable);
}

// Waits until pred() holds, polling; false after `ms`.
template <class P>
asio::awaitable<bool> wait_for(P pred, int ms) {
  for (int waited = 0; !pred(); waited += 20) {
    if (waited >= ms) co_return false;
    co_await sleep_ms(20);
  }
  co_return true;
}

// A non-blocking connect(2) of a fresh ATT socket: 0 (connected at once),
// or the errno it returned (EINPROGRESS: pending).
int raw_connect(asio::io_context& io, const Address& local, const Peer& peer, std::optional<l2cap::Socket>& keep) {
  auto s = l2cap::open_bound(io, l2cap::Endpoint{local, AddressType::le_public, 0, l2cap::att_cid});
  if (!s) return s.error().value();
  const int fd = s->native_handle();
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  const auto sa = l2cap::encode_sockaddr(l2cap::Endpoint{peer.addr, peer.type, 0, l2cap::att_cid});
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(sa.data()), sa.size());
  const int err = rc == 0 ? 0 : errno;
  keep.emplace(std::move(*s));
  return err;
}

const char* errname(int e) {
  switch (e) {
    case 0: return "0 (connected)";
    case EINPROGRESS: return "EINPROGRESS";
    case EALREADY: return "EALREADY";
    case EBUSY: return "EBUSY";
    case EISCONN: return "EISCONN";
    case ECONNREFUSED: return "ECONNREFUSED";
    case EAGAIN: return "EAGAIN";
    default: return "other";
  }
}

asio::awaitable<int> probe_errno(asio::io_context& io, mgmt::MgmtChannel& ch, const Args& a, Peer peer) {
  const mgmt::ReadControllerInformation read_info{};
  auto info = co_await mgmt::call(ch, read_info, static_cast<std::uint16_t>(a.index));
  if (!info) {
    say("hci%d: %s", a.index, info.error().message().c_str());
    co_return 1;
  }
  const Address local = info->address;
  auto other = Address::parse(a.other);
  if (!other) co_return 2;
  std::optional<l2cap::Socket> s1, s2, s3, s4;
  int e = raw_connect(io, local, peer, s1);
  say("errno: first connect to %s: %d %s", peer.to_string().c_str(), e, errname(e));
  e = raw_connect(io, local, peer, s2);
  say("errno: second connect to the same device while the first is pending: %d %s", e, errname(e));
  e = raw_connect(io, local, Peer{*other, AddressType::le_public}, s3);
  say("errno: connect to another device while one is pending: %d %s", e, errname(e));
  // Wait for the first to connect (writable), then try once more.
  // Connected when the socket is writable without error (bt_sock_poll).
  const bool up = co_await wait_for(
      [&] {
        pollfd p{s1->native_handle(), POLLOUT, 0};
        return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLERR | POLLHUP)) == 0 && (p.revents & POLLOUT) != 0;
      },
      8000);
  say("errno: first connect %s", up ? "established" : "not established in 8 s");
  e = raw_connect(io, local, peer, s4);
  say("errno: another connect to the same device while it is connected: %d %s", e, errname(e));
  co_return 0;
}

asio::awaitable<int> probe_connect(asio::io_context& io, mgmt::MgmtChannel& ch, const Args& a, Peer peer) {
  const auto index = static_cast<std::uint16_t>(a.index);
  const mgmt::ReadControllerInformation read_info{};
  auto info = co_await mgmt::call(ch, read_info, index);
  if (!info) {
    say("hci%d: %s", a.index, info.error().message().c_str());
    co_return 1;
  }
  auto sub = ch.subscribe<mgmt::DiscoveringEvent>(index, [](std::uint16_t, const mgmt::DiscoveringEvent& ev) {
    say("event: discovering %u (address types 0x%02x)", ev.discovering, ev.address_type);
  });
  central::ScanPolicy scan(ch, index);
  central::L2capConnector connector(io, info->address);
  central::ConnectionManager::Options mo;
  mo.index = index;
  central::ConnectionManager mgr(ch, connector, scan, mo);

  std::optional<l2cap::Socket> stale;
  if (a.stale) {
    auto s = l2cap::open_bound(io, l2cap::Endpoint{info->address, AddressType::le_public, 0, l2cap::att_cid});
    if (!s) co_return 1;
    stale.emplace(std::move(*s));
    std::optional<std::error_code> r;
    l2cap::async_connect(*stale, l2cap::Endpoint{peer.addr, peer.type, 0, l2cap::att_cid}, std::chrono::seconds(10),
                         [&r](std::error_code ec) { r = ec; });
    co_await wait_for([&] { return r.has_value(); }, 11000);
    say("stale: our own ATT socket to %s: %s (kept open)", peer.to_string().c_str(),
        r && !*r ? "connected" : "failed");
    if (!r || *r) co_return 1;
  }
  if (a.discover) {
    const std::error_code ec = co_await scan.start();
    say("discovery: start %s", ec ? ec.message().c_str() : "ok");
    if (ec) co_return 1;
    const bool on = co_await wait_for([&] { return scan.discovering(); }, 3000);
    say("discovery: %s", on ? "running" : "not running");
    co_await sleep_ms(300);
  }
  say("connect: requesting %s", peer.to_string().c_str());
  central::ConnectionManager::ConnectOptions co;
  co.deadline = std::chrono::milliseconds(static_cast<long>(a.deadline_s * 1000));
  auto link = co_await mgr.async_connect(peer, co);
  if (!link) {
    say("connect: failed: %s", link.error().message().c_str());
    co_return 1;
  }
  auto st = mgr.stats();
  say("connect: connected (slots in use %zu, attempts %llu, busy retries %llu, discovery paused %s)", st.in_use,
      static_cast<unsigned long long>(st.attempts), static_cast<unsigned long long>(st.busy_retries),
      scan.paused() ? "yes" : "no");
  int rc = 0;
  {
    att::GattClient client(link->bearer);
    link->bearer->start();
    auto svcs = co_await client.discover_services();
    if (!svcs) {
      say("services: failed: %s", svcs.error().message().c_str());
      rc = 1;
    } else {
      say("services: %zu", svcs->size());
      for (const auto& s : *svcs)
        say("service 0x%04x-0x%04x %s", s.start, s.end, s.uuid.to_string().c_str());
    }
    if (a.relax) {
      const std::error_code ec = co_await mgr.relax(peer);
      say("relax: %s", ec ? ec.message().c_str() : "ok");
      if (ec) rc = 1;
    }
    co_await sleep_ms(a.hold_ms);
  }
  *link = central::Link{};
  say("link: closed (slots in use %zu)", mgr.stats().in_use);
  stale.reset();
  if (a.discover) {
    const bool on = co_await wait_for([&] { return scan.discovering(); }, 5000);
    say("discovery: %s", on ? "resumed" : "NOT resumed");
    if (!on) rc = 1;
    const std::error_code ec = co_await scan.stop();
    say("discovery: stop %s", ec ? ec.message().c_str() : "ok");
  }
  st = mgr.stats();
  const auto ss = scan.stats();
  say("stats: requests %llu connected %llu failed %llu attempts %llu busy_retries %llu power_cycles %llu "
      "params_loaded %llu params_refused %llu slots_taken %llu slots_returned %llu in_use %zu scan_stops %llu "
      "scan_restarts %llu",
      static_cast<unsigned long long>(st.requests), static_cast<unsigned long long>(st.connected),
      static_cast<unsigned long long>(st.failed), static_cast<unsigned long long>(st.attempts),
      static_cast<unsigned long long>(st.busy_retries), static_cast<unsigned long long>(st.power_cycles),
      static_cast<unsigned long long>(st.params_loaded), static_cast<unsigned long long>(st.params_refused),
      static_cast<unsigned long long>(st.slots_taken), static_cast<unsigned long long>(st.slots_returned), st.in_use,
      static_cast<unsigned long long>(ss.stops), static_cast<unsigned long long>(ss.restarts));
  co_return rc;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcms-central-probe: connection management of the central role on a real kernel"};
  app.require_subcommand(1);
  Args a;
  auto* conn = app.add_subcommand("connect", "connect through the ConnectionManager");
  auto* err = app.add_subcommand("errno", "what the kernel answers to colliding connects");
  for (auto* s : {conn, err}) {
    s->add_option("peer", a.peer, "peer address")->required();
    s->add_option("--index", a.index, "controller index");
    s->add_option("--addr-type", a.addr_type, "public or random")->check(CLI::IsMember({"public", "random"}));
  }
  conn->add_flag("--discover", a.discover, "start discovery first (ScanPolicy)");
  conn->add_flag("--relax", a.relax, "load the relaxed parameters after discovery of services");
  conn->add_flag("--stale", a.stale, "hold an ATT socket of our own to the peer first");
  conn->add_option("--hold-ms", a.hold_ms, "how long to keep the link");
  conn->add_option("--deadline", a.deadline_s, "request deadline, seconds");
  err->add_option("--other", a.other, "an absent device for the second pending connect");
  CLI11_PARSE(app, argc, argv);
  auto addr = Address::parse(a.peer);
  if (!addr) {
    std::fprintf(stderr, "invalid address: %s\n", a.peer.c_str());
    return 2;
  }
  const Peer peer{*addr, a.addr_type == "random" ? AddressType::le_random : AddressType::le_public};
  asio::io_context io;
  auto sock = mgmt::open_control_socket(io.get_executor());
  if (!sock) {
    std::fprintf(stderr, "cannot open the management socket: %s\n", sock.error().message().c_str());
    return 1;
  }
  mgmt::MgmtChannel ch(std::move(*sock));
  int rc = 1;
  auto proc = conn->parsed() ? probe_connect(io, ch, a, peer) : probe_errno(io, ch, a, peer);
  asio::co_spawn(io, std::move(proc), [&](std::exception_ptr e, int r) { rc = e ? 1 : r; io.stop(); });
  io.run();
  return rc;
}
