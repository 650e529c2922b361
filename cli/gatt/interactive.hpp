// bcms-gatt -I / --interactive: gatttool -I's command set and output lines
// (BlueZ attrib/interactive.c), on one asio loop: stdin is read as a posix
// stream_descriptor (no readline), one command at a time, each run to
// completion before the next line is read, so piped input needs no sleeps
// ("connect" is connected when "primary" runs).  Notifications and
// indications are printed as they arrive (decoded on a second, indented
// line where protocol/sensor knows the characteristic: value handles are
// learnt from `characteristics`).  EOF on stdin, `exit` or `quit` ends it.
// The prompt ("[ADDRESS][LE]> ") and colours only on a terminal.
#pragma once

#include "cli/gatt/session.hpp"

namespace bcms::cli::gatt {

/// Runs the interactive mode; `defaults` is what `connect` without
/// arguments uses (its peer may be all zero: no default address).
/// Returns the exit code (0 unless stdin cannot be read).
int run_interactive(const Target& defaults, bool have_address);

}  // namespace bcms::cli::gatt
