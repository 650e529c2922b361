// The BCMS RPC server on a real daemon::Service over a scripted mgmt kernel
// (gap_kernel.hpp), a real SQLite store and registry, all on one asio
// loop with kj on it; clients in the same thread (rpc::connect) or as
// child processes (the original-schema client, the bcms CLI) while the
// loop runs.
#pragma once

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <capnp/rpc-twoparty.h>

#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <sstream>
#include <string>
#include <vector>

#include "rpc/asio_event_port.hpp"
#include "rpc/bcms.capnp.h"
#include "rpc/connect.hpp"
#include "rpc/server.hpp"
#include "src/daemon/service.hpp"
#include "tests/engine/daemon_fixture.hpp"  // TempDir, kLocal, name_ad, the scripted kernel

namespace bcms::test {

struct RpcRig {
  explicit RpcRig(rpc::Server::Options options = loopback()) {
    if (!registry.load()) throw std::runtime_error("registry: load failed");
    server.emplace(port, service, std::move(options));
  }
  ~RpcRig() {
    server.reset();  // before the kj loop (port) and the service go
  }

  static rpc::Server::Options loopback() {
    rpc::Server::Options o;
    o.listen = {"127.0.0.1:0"};
    return o;
  }
  static daemon::Service::Options service_options() {
    daemon::Service::Options o;
    o.pair_timeout = std::chrono::milliseconds(2000);
    return o;
  }

  /// The first endpoint, as a client would name it.
  [[nodiscard]] std::string where() const { return server->endpoints().front().to_string(); }

  asio::io_context io;
  ScriptedKernel kernel{io};
  mgmt::MgmtChannel ch{kernel.channel_socket()};
  TempDir dir;
  storage::Storage store = storage::Storage::open(dir.path / "bcms.db").value();
  daemon::Registry registry{io.get_executor(), store, kLocal, {}};
  gap::BondManager bonds{ch, 0, store, kLocal};
  daemon::Service service{ch, registry, bonds, service_options()};
  rpc::AsioEventPort port{io};
  std::optional<rpc::Server> server;
};

/// A client in the test's own thread: its calls are answered while it
/// waits (Promise::wait runs the asio loop: rpc/asio_event_port.hpp).
struct RpcClient {
  RpcClient(rpc::AsioEventPort& port, const std::string& where)
      : stream(rpc::connect(port, rpc::Endpoint::parse(where).value()).value()), client(*stream),
        bcms(client.bootstrap().castAs<BCMS>()) {}
  kj::Own<kj::AsyncIoStream> stream;
  capnp::TwoPartyClient client;
  BCMS::Client bcms;
};

struct ChildResult {
  int exit = -1;
  std::string out, err;
};

/// A program started by the test; its output goes to files under `tmp`.
struct Child {
  pid_t pid = -1;
  std::filesystem::path out, err;

  Child(const std::vector<std::string>& argv, const std::filesystem::path& tmp)
      : out(tmp / "child.out"), err(tmp / "child.err") {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 2, err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    const int rc = posix_spawn(&pid, args[0], &fa, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) throw std::runtime_error("cannot run " + argv[0]);
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  /// Runs the asio loop (and so the server) until the program ends.
  ChildResult wait(asio::io_context& io, std::chrono::seconds limit = std::chrono::seconds(30)) {
    int status = 0;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (::waitpid(pid, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("the child did not finish");
      io.restart();
      io.run_for(std::chrono::milliseconds(2));
    }
    pid = -1;
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), slurp(out), slurp(err)};
  }
};

/// Runs a program to its end while the asio loop (and so the server) runs.
inline ChildResult run_child(asio::io_context& io, const std::vector<std::string>& argv,
                             const std::filesystem::path& tmp) {
  return Child(argv, tmp).wait(io);
}

}  // namespace bcms::test
