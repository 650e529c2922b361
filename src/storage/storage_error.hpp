// Errors of the storage layer: one std::error_category, "bcms.storage".
//
// Values below 1000 are SQLite primary result codes (sqlite3.h, "Result
// Codes"); their message() is SQLite's own text (sqlite3_errstr), e.g.
// errc::notadb -> "file is not a database".  The statement-specific detail
// (sqlite3_errmsg, e.g. "no such table: x") is kept by the connection, see
// Storage::last_error_detail().  Values from 1000 are bcms's own.
#pragma once

#include <system_error>

namespace bcms::storage {

enum class errc {
  // SQLite primary result codes (same numbers as sqlite3.h).
  sqlite_error = 1,  // SQLITE_ERROR: generic (SQL error, missing table)
  busy = 5,          // SQLITE_BUSY: another connection holds the lock
  locked = 6,
  nomem = 7,
  readonly = 8,
  ioerr = 10,
  corrupt = 11,      // SQLITE_CORRUPT: database disk image is malformed
  full = 13,
  cantopen = 14,
  constraint = 19,
  notadb = 26,       // SQLITE_NOTADB: file is not a database

  // bcms
  schema_too_new = 1000,   // the file was written by a newer bcms
  migration_failed,        // a schema migration failed and was rolled back
  insecure_permissions,    // the directory is writable by others
  invalid_row,             // a stored row does not decode (bad address, size)
  bad_path,                // not a regular file, or a symlink
};

const std::error_category& storage_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept { return {static_cast<int>(e), storage_category()}; }

/// An error_code for a SQLite result code (primary code only: the
/// extended code's low byte).
std::error_code sqlite_error_code(int rc) noexcept;

}  // namespace bcms::storage

template <>
struct std::is_error_code_enum<bcms::storage::errc> : std::true_type {};
