// Schema versioning: PRAGMA user_version holds the version of the schema a
// database file has; each Migration brings it from version-1 to version in
// one transaction (the SQL and the new user_version commit together, so a
// crash or an error leaves the previous version intact).
#pragma once

#include <span>

#include "protocol/expected.hpp"
#include "src/storage/sqlite.hpp"

namespace bcms::storage {

struct Migration {
  int version;      // the user_version after this step: 1, 2, 3, ...
  const char* sql;  // statements to run
};

/// bcms's schema, oldest first.
std::span<const Migration> schema_migrations() noexcept;

/// Reads PRAGMA user_version.
expected<int> schema_version(Connection& c);

/// Applies every migration newer than the file's version, in order.
/// Returns the resulting version.  A file newer than the last migration is
/// errc::schema_too_new; a failing step is errc::migration_failed (the
/// step is rolled back; earlier steps stay applied) with SQLite's message
/// in c.last_error().
expected<int> migrate(Connection& c, std::span<const Migration> migrations);

}  // namespace bcms::storage
