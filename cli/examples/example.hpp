// The frame every example peripheral shares: command line (--index,
// --name, --db, --agent, --interval-ms, ...), the mgmt socket, the GATT
// Peripheral, bond storage, the pairing agent, gap::PeripheralApp, and the
// loop that runs until SIGINT/SIGTERM.  An example only declares its
// services and what happens on each tick.
//
//   int main(int argc, char** argv) {
//     Example ex{.program = "bcms-example-battery", .summary = "...", ...};
//     return run(argc, argv, ex, [](Context& c) -> Ticker { ... });
//   }
#pragma once

#include <asio/awaitable.hpp>

#include <asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "protocol/ad/ad.hpp"
#include "src/att/peripheral.hpp"
#include "src/gap/peripheral_app.hpp"

namespace bcms::examples {

/// Exit codes: 0 stopped by a signal, 1 start failed, 2 bad usage,
/// 3 no management socket (no Bluetooth in this kernel, or not root).
inline constexpr int kStartFailed = 1;
inline constexpr int kUsage = 2;
inline constexpr int kUnavailable = 3;

struct Example {
  std::string program;       // e.g. "bcms-example-heart-rate"
  std::string summary;       // one line: what it serves
  std::string description;   // --help body: services, characteristics, formats
  std::string default_name;  // advertised Local Name and GATT Device Name
  std::uint16_t appearance = 0;
  std::vector<std::uint16_t> adv_uuid16;  // service UUIDs to advertise
  std::chrono::milliseconds default_interval{1000};
};

/// Common options, after parsing.
struct Options {
  int index = 0;
  std::string name;
  std::string db = "/var/lib/bcms/bonds.db";
  bool no_bonds = false;
  std::string agent = "auto";
  unsigned interval_ms = 1000;
  unsigned adv_timeout_s = 0;
  bool no_readvertise = false;
  bool no_security_request = false;
  bool verbose = false;
};

/// What the example's setup gets: the Peripheral to add services to (they
/// are registered after setup returns), the loop, the options.
struct Context {
  asio::io_context& io;
  att::Peripheral& peripheral;
  const Options& options;
};

/// Called every --interval-ms once the peripheral serves (update values,
/// notify subscribers).
using Tick = std::function<void()>;

/// Parses the command line (`add_options` may add example-specific ones),
/// builds everything, calls `setup` (which adds services and returns the
/// tick), starts, and runs until SIGINT/SIGTERM.  Returns the exit code.
int run(int argc, char** argv, const Example& ex, const std::function<void(CLI::App&)>& add_options,
        const std::function<Tick(Context&)>& setup);

/// Prints the GATT database, one line per service and characteristic
/// ("  characteristic 0x2A37 props 0x12 value handle 0x000c cccd 0x000d"),
/// so that scripts and people know which handle to read.
void print_database(const att::GattDb& db);

}  // namespace bcms::examples
