// The bcms CLI's verbs: each builds its request, waits for the answer and
// prints it (a table, or one JSON document with --json; JSON lines for
// `watch`).  Returns the exit code (session.hpp Exit).
#pragma once

#include <string>

#include "cli/bcms/session.hpp"

namespace bcms::cli {

struct Args {
  std::string command;
  std::string address;  // checked by main() before anything is sent
  bool only_approved = false;
  std::string mode;     // "any" | "approved", checked by main()
  unsigned limit = 0;   // readings
  bool json = false;
};

/// The verbs that need an address (--address or the positional argument).
bool needs_address(const std::string& command);
int run_command(Session& s, const Args& a);

}  // namespace bcms::cli
