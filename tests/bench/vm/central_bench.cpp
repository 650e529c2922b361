// bcms-bench-central: timings of the central role on a real kernel (the VM
// tier, tests/vm/bench_central.sh), each side measured the same way.
//
//   bcms-bench-central steps ADDR [--type public|random] [--uuid 2a37]
//       Our GATT client: connect (L2CAP LE socket to the ATT channel),
//       exchange MTU, discover every service, characteristic and
//       descriptor, subscribe to the characteristic --uuid (CCCD written
//       after the handler is registered), wait for the first value.  Prints
//       one marker line per step as it happens (CONNECTED, RESOLVED, VALUE)
//       and a summary (STEPS ... services S characteristics C descriptors D
//       value 0xH cccd 0xH).
//       --cache-db FILE: the database is resolved as the daemon does it
//       (att::resolve_database with a discovery cache in the SQLite store
//       FILE, src/storage/): the first run discovers and stores, later ones
//       read the Database Hash and take the cached database when it is
//       unchanged.  Adds "cache hit|miss requests N" to the STEPS line.
//       --cold (with --cache-db): the peer's entry is dropped first, so the
//       run discovers with the same store opened (a cold run that differs
//       from a cached one only in what the cache holds).
//   bcms-bench-central time -- CMD ARGS...
//       Spawns CMD and stamps the marker lines it prints with the time since
//       the spawn: process start, exec and linking are counted, as for
//       gatttool below.  Prints "T name ms" per marker.
//   bcms-bench-central gatttool ADDR --services S --characteristics C
//                      --last H --cccd H --value H
//       Drives BlueZ's `gatttool -I` through the same steps on a pipe:
//       connect, primary (waits for S services), characteristics (C lines),
//       char-desc (up to the last handle), char-write-req CCCD 0100, the
//       first notification of handle H; stamps them like `time`.
//   bcms-bench-central rtt ADDR --handle H --psm P [--count N]
//       On one LE link: N ATT Read Requests of H through our GattClient, then
//       N round trips of an SDU of the same size over an LE credit-based
//       channel to an echo server on PSM P (bcms-l2cap listen --echo).
//       Prints READ and ECHO lines with median, p95 and mean in µs.
//
// Exit status 0 when every step completed, 1 otherwise, 2 on usage.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/detached.hpp>
#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <numeric>
#include <optional>
#include <poll.h>
#include <spawn.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "protocol/address.hpp"
#include "protocol/att/uuid.hpp"
#include "src/att/gatt_client.hpp"
#include "src/att/link_security.hpp"
#include "src/l2cap/channel.hpp"
#include "src/l2cap/coc.hpp"
#include "src/l2cap/socket.hpp"
#include "src/att/discovery_cache.hpp"
#include "src/storage/storage.hpp"

extern char** environ;

namespace {

using namespace bcms;
using Clock = std::chrono::steady_clock;
using asio::experimental::as_tuple;

/// Suspends until done() (or the timeout): completions arrive as callbacks,
/// the coroutine waits on a timer (no temporaries in co_await expressions,
/// GCC 12, src/mgmt/call.hpp).
class Wake {
 public:
  explicit Wake(asio::io_context& io) : t_(io) {}
  void done() {
    done_ = true;
    t_.cancel();
  }
  asio::awaitable<bool> wait(std::chrono::milliseconds timeout) {
    t_.expires_after(timeout);
    if (!done_) {
      auto [ec] = co_await t_.async_wait(as_tuple(asio::use_awaitable));
      (void)ec;
    }
    const bool d = done_;
    done_ = false;
    co_return d;
  }

 private:
  asio::steady_timer t_;
  bool done_ = false;
};

double ms_since(Clock::time_point t0) { return std::chrono::duration<double, std::milli>(Clock::now() - t0).count(); }

void marker(const char* name, Clock::time_point t0) {
  std::printf("%s %.2f\n", name, ms_since(t0));
  std::fflush(stdout);
}

// ------------------------------------------------------------ our client
struct Link {
  std::unique_ptr<att::SocketLinkSecurity> security;
  std::shared_ptr<att::AttBearer> bearer;
  std::unique_ptr<att::GattClient> client;
};

asio::awaitable<expected<Link>> connect_att(asio::io_context& io, const Peer& peer) {
  auto sock = l2cap::open_bound(io, l2cap::Endpoint{{}, AddressType::le_public, 0, l2cap::att_cid});
  if (!sock) co_return unexpected(sock.error());
  std::error_code result = asio::error::timed_out;
  Wake wake(io);
  const l2cap::Endpoint remote{peer.addr, peer.type, 0, l2cap::att_cid};
  l2cap::async_connect(*sock, remote, std::chrono::seconds(20), [&](std::error_code ec) {
    result = ec;
    wake.done();
  });
  co_await wake.wait(std::chrono::seconds(25));
  if (result) co_return unexpected(result);
  Link l;
  att::ConnState st;
  st.id = 1;
  st.peer = peer;
  l.security = std::make_unique<att::SocketLinkSecurity>(sock->native_handle());
  st.security = l.security.get();
  att::AttBearer::Options o;
  o.raise_security = false;
  l.bearer = att::AttBearer::create(std::move(*sock), std::move(st), o);
  l.client = std::make_unique<att::GattClient>(l.bearer);
  l.bearer->start();
  co_return l;
}

/// The discovery cache in a storage file, for one process's runs (the
/// daemon's is gap::BondManager, which keeps it for bonded peers only; the
/// bench's peer is not bonded, so the store is used directly).
class StoredCache : public att::DiscoveryCacheStore {
 public:
  explicit StoredCache(storage::Storage s) : s_(std::move(s)) {}
  std::optional<bytes> load_cache(const Peer& identity) override {
    auto r = s_.gatt_cache(Address{}, identity);
    return r ? *r : std::nullopt;
  }
  void save_cache(const Peer& identity, byte_span blob) override { (void)s_.store_gatt_cache(Address{}, identity, blob); }
  void drop_cache(const Peer& identity) override { (void)s_.remove_gatt_cache(Address{}, identity); }

 private:
  storage::Storage s_;
};

/// What the subscription needs from the resolved database.
struct Resolved {
  std::size_t services = 0, characteristics = 0, descriptors = 0;
  std::uint16_t last = 0;
  std::optional<att::CharacteristicInfo> target;
  std::uint16_t cccd = 0;
  std::string cache;  // " cache hit requests N" with --cache-db
};

/// Every service, characteristic and descriptor, one procedure after the
/// other (as gatttool's primary / characteristics / char-desc).
asio::awaitable<expected<Resolved>> discover_all(att::GattClient& c, const att::Uuid& uuid) {
  Resolved r;
  auto services = co_await c.discover_services();
  if (!services) co_return unexpected(services.error());
  r.services = services->size();
  for (const auto& s : *services) {
    r.last = std::max(r.last, s.end);
    auto chars = co_await c.discover_characteristics(s.start, s.end);
    if (!chars) co_return unexpected(chars.error());
    r.characteristics += chars->size();
    for (std::size_t i = 0; i < chars->size(); ++i) {
      const std::uint16_t from = static_cast<std::uint16_t>((*chars)[i].value_handle + 1);
      const std::uint16_t to = i + 1 < chars->size() ? static_cast<std::uint16_t>((*chars)[i + 1].declaration - 1) : s.end;
      if (from > to) continue;
      auto descs = co_await c.discover_descriptors(from, to);
      if (!descs) co_return unexpected(descs.error());
      r.descriptors += descs->size();
      if ((*chars)[i].uuid == uuid && !r.target) {
        r.target = (*chars)[i];
        for (const auto& d : *descs)
          if (d.type == att::Uuid(std::uint16_t{0x2902})) r.cccd = d.handle;
      }
    }
  }
  co_return r;
}

/// The daemon's way: att::resolve_database with the cache.
asio::awaitable<expected<Resolved>> resolve_cached(att::GattClient& c, att::DiscoveryCacheStore& store,
                                                   const Peer& peer, const att::Uuid& uuid) {
  att::ResolveStats stats;
  auto db = co_await att::resolve_database(c, &store, peer, &stats);
  if (!db) co_return unexpected(db.error());
  Resolved r;
  r.services = db->services.size();
  r.characteristics = db->characteristics.size();
  r.descriptors = db->descriptors.size();
  for (const auto& s : db->services) r.last = std::max(r.last, s.end);
  if (const att::CharacteristicInfo* ch = db->find(uuid)) {
    r.target = *ch;
    r.cccd = db->cccd(ch->value_handle).value_or(0);
  }
  r.cache = std::string(" cache ") + (stats.cache_hit ? "hit" : "miss") + " requests " + std::to_string(stats.requests);
  co_return r;
}

asio::awaitable<int> steps(asio::io_context& io, Peer peer, att::Uuid uuid, att::DiscoveryCacheStore* cache) {
  const auto t0 = Clock::now();
  auto link = co_await connect_att(io, peer);
  if (!link) {
    std::fprintf(stderr, "connect: %s\n", link.error().message().c_str());
    co_return 1;
  }
  marker("CONNECTED", t0);
  att::GattClient& c = *link->client;
  auto mtu = co_await c.exchange_mtu();
  if (!mtu) {
    std::fprintf(stderr, "exchange MTU: %s\n", mtu.error().message().c_str());
    co_return 1;
  }
  expected<Resolved> resolved = unexpected(std::make_error_code(std::errc::invalid_argument));
  if (cache)
    resolved = co_await resolve_cached(c, *cache, peer, uuid);
  else
    resolved = co_await discover_all(c, uuid);
  if (!resolved) {
    std::fprintf(stderr, "discovery: %s\n", resolved.error().message().c_str());
    co_return 1;
  }
  const std::optional<att::CharacteristicInfo>& target = resolved->target;
  const std::uint16_t cccd = resolved->cccd;
  marker("RESOLVED", t0);
  if (!target || cccd == 0) {
    std::fprintf(stderr, "no characteristic %s with a CCCD\n", uuid.to_string().c_str());
    co_return 1;
  }
  bool got = false;
  Wake wake(io);
  att::GattClient::ValueHandler on_value = [&](byte_span) {
    if (got) return;
    got = true;
    marker("VALUE", t0);
    wake.done();
  };
  auto sub = co_await c.subscribe(target->value_handle, cccd, false, std::move(on_value));
  if (!sub) {
    std::fprintf(stderr, "subscribe: %s\n", sub.error().message().c_str());
    co_return 1;
  }
  if (!got) co_await wake.wait(std::chrono::seconds(10));
  if (!got) {
    std::fprintf(stderr, "no value within 10 s\n");
    co_return 1;
  }
  // What gatttool -I prints for the same database (the lines the
  // `gatttool` subcommand waits for): S services, C characteristics, and
  // char-desc up to the last handle.
  std::printf("STEPS services %zu characteristics %zu descriptors %zu last 0x%04x value 0x%04x cccd 0x%04x mtu %u%s\n",
              resolved->services, resolved->characteristics, resolved->descriptors, resolved->last,
              target->value_handle, cccd, static_cast<unsigned>(*mtu), resolved->cache.c_str());
  std::fflush(stdout);
  co_return 0;
}

struct Stats {
  double median = 0, p95 = 0, mean = 0;
};
Stats stats(std::vector<double> v) {
  Stats s;
  if (v.empty()) return s;
  std::sort(v.begin(), v.end());
  s.median = v[v.size() / 2];
  s.p95 = v[std::min(v.size() - 1, v.size() * 95 / 100)];
  s.mean = std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
  return s;
}

asio::awaitable<int> rtt(asio::io_context& io, Peer peer, std::uint16_t handle, std::uint16_t psm, int count) {
  auto link = co_await connect_att(io, peer);
  if (!link) {
    std::fprintf(stderr, "connect: %s\n", link.error().message().c_str());
    co_return 1;
  }
  att::GattClient& c = *link->client;
  std::vector<double> reads;
  std::size_t size = 0;
  for (int i = 0; i < count; ++i) {
    const auto t = Clock::now();
    auto v = co_await c.read(handle);
    if (!v) {
      std::fprintf(stderr, "read %d: %s\n", i, v.error().message().c_str());
      co_return 1;
    }
    reads.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
    size = v->size();
  }
  // The same link: the kernel carries the channel over the LE connection
  // the ATT socket holds open.
  std::error_code cec = asio::error::timed_out;
  std::optional<l2cap::Socket> csock;
  Wake wake(io);
  const l2cap::Endpoint any{{}, AddressType::le_public, 0, 0}, echo{peer.addr, peer.type, psm, 0};
  l2cap::connect_coc(io, any, echo, 672, std::chrono::seconds(20), [&](std::error_code ec, l2cap::Socket s) {
    cec = ec;
    if (!ec) csock.emplace(std::move(s));
    wake.done();
  });
  co_await wake.wait(std::chrono::seconds(25));
  if (cec || !csock) {
    std::fprintf(stderr, "CoC connect: %s\n", cec.message().c_str());
    co_return 1;
  }
  auto ch = l2cap::Channel::create(std::move(*csock));
  if (!ch) {
    std::fprintf(stderr, "channel: %s\n", ch.error().message().c_str());
    co_return 1;
  }
  // An SDU as large as the Read Response's PDU (opcode + value).
  const bytes sdu(std::max<std::size_t>(size + 1, 1), 0x5a);
  std::vector<double> echoes;
  for (int i = 0; i < count; ++i) {
    const auto t = Clock::now();
    std::error_code err = asio::error::timed_out;
    bool same = false;
    (*ch)->send_when_room(sdu, [&](std::error_code ec) {
      if (ec) {
        err = ec;
        wake.done();
      }
    });
    (*ch)->receive_one([&](std::error_code ec, byte_span back) {
      err = ec;
      same = std::equal(back.begin(), back.end(), sdu.begin(), sdu.end());
      wake.done();
    });
    co_await wake.wait(std::chrono::seconds(10));
    if (err || !same) {
      std::fprintf(stderr, "echo %d: %s\n", i, err ? err.message().c_str() : "different bytes");
      co_return 1;
    }
    echoes.push_back(std::chrono::duration<double, std::micro>(Clock::now() - t).count());
  }
  (*ch)->close();
  const Stats r = stats(reads), e = stats(echoes);
  std::printf("READ n %d bytes %zu median_us %.0f p95_us %.0f mean_us %.0f\n", count, size, r.median, r.p95, r.mean);
  std::printf("ECHO n %d bytes %zu median_us %.0f p95_us %.0f mean_us %.0f\n", count, sdu.size(), e.median, e.p95,
              e.mean);
  std::printf("RATIO read/echo median %.2f\n", e.median > 0 ? r.median / e.median : 0.0);
  std::fflush(stdout);
  co_return 0;
}

// ------------------------------------------------------- spawned programs
class Child {
 public:
  /// Spawns argv with stdin and stdout on pipes (stderr to ours).
  bool spawn(const std::vector<std::string>& argv) {
    int in[2], out[2];
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0) return false;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    t0 = Clock::now();
    const int rc = posix_spawnp(&pid_, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    in_ = in[1];
    out_ = out[0];
    if (rc != 0) std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(rc));
    return rc == 0;
  }
  ~Child() {
    if (in_ >= 0) close(in_);
    if (out_ >= 0) close(out_);
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
  }
  void send(const std::string& line) {
    const std::string l = line + "\n";
    if (write(in_, l.data(), l.size()) != static_cast<ssize_t>(l.size())) std::fprintf(stderr, "write to child failed\n");
  }
  /// The next output line, or nullopt at EOF / after `timeout`.
  std::optional<std::string> line(std::chrono::milliseconds timeout) {
    const auto end = Clock::now() + timeout;
    for (;;) {
      if (auto nl = buf_.find('\n'); nl != std::string::npos) {
        std::string l = buf_.substr(0, nl);
        buf_.erase(0, nl + 1);
        return l;
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()).count();
      if (left <= 0) return std::nullopt;
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, static_cast<int>(left)) <= 0) continue;
      char b[4096];
      const ssize_t n = read(out_, b, sizeof b);
      if (n <= 0) return std::nullopt;
      buf_.append(b, static_cast<std::size_t>(n));
    }
  }
  /// Waits until `count` lines containing `needle` were printed.
  bool wait_for(const std::string& needle, std::size_t count, std::chrono::milliseconds timeout,
                const std::string& fail = "") {
    const auto end = Clock::now() + timeout;
    std::size_t seen = 0;
    while (seen < count) {
      auto l = line(std::chrono::duration_cast<std::chrono::milliseconds>(end - Clock::now()));
      if (!l) return false;
      if (!fail.empty() && l->find(fail) != std::string::npos) {
        std::fprintf(stderr, "child: %s\n", l->c_str());
        return false;
      }
      if (l->find(needle) != std::string::npos) ++seen;
    }
    return true;
  }
  int wait_exit() {
    int st = 0;
    if (pid_ > 0 && waitpid(pid_, &st, 0) == pid_) pid_ = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
  }
  Clock::time_point t0;

 private:
  pid_t pid_ = -1;
  int in_ = -1, out_ = -1;
  std::string buf_;
};

int time_child(const std::vector<std::string>& argv) {
  Child c;
  if (!c.spawn(argv)) return 1;
  while (auto l = c.line(std::chrono::seconds(60))) {
    char name[32];
    double inner = 0;
    if (std::sscanf(l->c_str(), "%31[A-Z] %lf", name, &inner) == 2 &&
        (!std::strcmp(name, "CONNECTED") || !std::strcmp(name, "RESOLVED") || !std::strcmp(name, "VALUE")))
      std::printf("T %s %.2f\n", name, ms_since(c.t0));
    else
      std::printf("%s\n", l->c_str());
    std::fflush(stdout);
  }
  return c.wait_exit();
}

struct GatttoolSteps {
  std::string addr, type = "public";
  std::size_t services = 0, characteristics = 0;
  std::string last, cccd, value;
};

int drive_gatttool(const GatttoolSteps& s) {
  Child c;
  if (!c.spawn({"gatttool", "-i", "hci1", "-b", s.addr, "-t", s.type, "-I"})) return 1;
  const auto to = std::chrono::seconds(20);
  auto stamp = [&](const char* name) {
    std::printf("T %s %.2f\n", name, ms_since(c.t0));
    std::fflush(stdout);
  };
  c.send("connect");
  if (!c.wait_for("Connection successful", 1, to, "Error")) return std::fprintf(stderr, "gatttool: connect\n"), 1;
  stamp("CONNECTED");
  c.send("primary");
  if (!c.wait_for("attr handle:", s.services, to)) return std::fprintf(stderr, "gatttool: primary\n"), 1;
  c.send("characteristics");
  if (!c.wait_for("char value handle:", s.characteristics, to)) return std::fprintf(stderr, "gatttool: characteristics\n"), 1;
  c.send("char-desc");
  if (!c.wait_for("handle: " + s.last + ", uuid:", 1, to)) return std::fprintf(stderr, "gatttool: char-desc\n"), 1;
  stamp("RESOLVED");
  c.send("char-write-req " + s.cccd + " 0100");
  if (!c.wait_for("Notification handle = " + s.value, 1, to)) return std::fprintf(stderr, "gatttool: notification\n"), 1;
  stamp("VALUE");
  c.send("exit");
  return 0;
}

expected<Peer> parse_peer(const std::string& addr, const std::string& type) {
  auto a = Address::parse(addr);
  if (!a) return unexpected(a.error());
  return Peer{*a, type == "random" ? AddressType::le_random : AddressType::le_public};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"bcms-bench-central: central-role timings on a real kernel"};
  app.require_subcommand(1);
  std::string addr, type = "public", uuid_text = "2a37", cache_db;
  bool cold = false;
  std::uint16_t handle = 0, psm = 0;
  int count = 200;
  std::vector<std::string> cmd;
  GatttoolSteps g;
  auto* st = app.add_subcommand("steps", "connect, resolve, first notification with our client");
  st->add_option("ADDR", addr)->required();
  st->add_option("--type", type)->check(CLI::IsMember({"public", "random"}));
  st->add_option("--uuid", uuid_text, "characteristic to subscribe to");
  auto* cache_opt = st->add_option("--cache-db", cache_db, "resolve with the discovery cache kept in this SQLite file");
  st->add_flag("--cold", cold, "drop the peer's cached database first")->needs(cache_opt);
  auto* tm = app.add_subcommand("time", "stamp a child's marker lines from its spawn");
  tm->add_option("CMD", cmd)->required();
  auto* gt = app.add_subcommand("gatttool", "drive gatttool -I through the same steps");
  gt->add_option("ADDR", g.addr)->required();
  gt->add_option("--type", g.type)->check(CLI::IsMember({"public", "random"}));
  gt->add_option("--services", g.services)->required();
  gt->add_option("--characteristics", g.characteristics)->required();
  gt->add_option("--last", g.last, "the database's last handle, 0xNNNN (char-desc ends there)")->required();
  gt->add_option("--cccd", g.cccd)->required();
  gt->add_option("--value", g.value)->required();
  auto* rt = app.add_subcommand("rtt", "ATT read round trips, then raw L2CAP echoes, on one link");
  rt->add_option("ADDR", addr)->required();
  rt->add_option("--type", type)->check(CLI::IsMember({"public", "random"}));
  rt->add_option("--handle", handle)->required();
  rt->add_option("--psm", psm)->required();
  rt->add_option("--count", count)->check(CLI::Range(1, 100000));
  CLI11_PARSE(app, argc, argv);

  if (*tm) return time_child(cmd);
  if (*gt) return drive_gatttool(g);
  auto peer = parse_peer(addr, type);
  if (!peer) {
    std::fprintf(stderr, "bad address %s\n", addr.c_str());
    return 2;
  }
  auto uuid = att::Uuid::parse(uuid_text);
  if (!uuid) {
    std::fprintf(stderr, "bad UUID %s\n", uuid_text.c_str());
    return 2;
  }
  std::unique_ptr<StoredCache> cache;
  if (*st && !cache_db.empty()) {
    auto s = storage::Storage::open(cache_db);
    if (!s) {
      std::fprintf(stderr, "%s: %s\n", cache_db.c_str(), s.error().message().c_str());
      return 1;
    }
    cache = std::make_unique<StoredCache>(std::move(*s));
    if (cold) cache->drop_cache(*peer);
  }
  asio::io_context io;
  int rc = 1;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        rc = *st ? co_await steps(io, *peer, *uuid, cache.get()) : co_await rtt(io, *peer, handle, psm, count);
        io.stop();
      },
      asio::detached);
  io.run();
  return rc;
}
