// A SQLite VFS that wraps the default one and fails the Nth write or
// sync (fail-at-the-Nth-operation injection, DESIGN.md practice 9),
// registered as the default VFS while a FaultVfs lives.
#pragma once

#include <sqlite3.h>

namespace bcms::testing {

class FaultVfs {
 public:
  FaultVfs();
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;
  /// The next `n` writes/syncs succeed, the one after fails (and so does
  /// every later one until disarm()).
  void fail_after(int n);
  void disarm();
  /// Whether an armed failure happened.
  [[nodiscard]] bool tripped() const;
};

}  // namespace bcms::testing
