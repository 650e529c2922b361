// Thin RAII over the sqlite3 C API: a connection, prepared statements
// (cached per connection, reset when a use ends) and transactions.  No SQL
// layer beyond that: callers write their SQL.
//
// Errors are std::error_codes of storage_error.hpp; the connection keeps
// sqlite3_errmsg() of the last failure in last_error().
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "protocol/bytes.hpp"
#include "protocol/expected.hpp"
#include "src/storage/storage_error.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace bcms::storage {

class Connection;

/// One prepared statement (sqlite3_prepare_v3 / sqlite3_finalize).
class Statement {
 public:
  Statement() = default;
  Statement(Statement&& o) noexcept : conn_(o.conn_), stmt_(o.stmt_), bind_rc_(o.bind_rc_) { o.stmt_ = nullptr; }
  Statement& operator=(Statement&& o) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  // Parameters are 1-based (sqlite3_bind_*).  A bind failure (a bug: bad
  // index) is remembered and reported by the next step().
  Statement& bind(int i, std::int64_t v);
  Statement& bind(int i, std::string_view text);
  Statement& bind_blob(int i, byte_span blob);
  Statement& bind_null(int i);

  /// sqlite3_step: true when a row is available, false when done.
  expected<bool> step();
  /// Steps a statement that returns no rows.
  expected<void> run();

  // Columns are 0-based; valid after step() returned true.
  [[nodiscard]] std::int64_t int64(int col) const noexcept;
  [[nodiscard]] std::string text(int col) const;
  [[nodiscard]] bytes blob(int col) const;
  [[nodiscard]] bool is_null(int col) const noexcept;

  /// sqlite3_reset + sqlite3_clear_bindings.
  void reset() noexcept;

 private:
  friend class Connection;
  Statement(Connection* c, sqlite3_stmt* s) noexcept : conn_(c), stmt_(s) {}
  Connection* conn_ = nullptr;
  sqlite3_stmt* stmt_ = nullptr;
  int bind_rc_ = 0;
};

/// A use of a cached statement: resets it when the use ends.
class Query {
 public:
  explicit Query(Statement& s) noexcept : s_(&s) {}
  Query(Query&& o) noexcept : s_(o.s_) { o.s_ = nullptr; }
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (s_) s_->reset();
  }
  Statement* operator->() const noexcept { return s_; }
  Statement& operator*() const noexcept { return *s_; }

 private:
  Statement* s_;
};

class Connection {
 public:
  /// sqlite3_open_v2 with the given SQLITE_OPEN_* flags.
  static expected<std::unique_ptr<Connection>> open(const std::string& path, int flags);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  /// Runs one or more statements without results (sqlite3_exec).
  expected<void> exec(const char* sql);
  /// A new, uncached statement.
  expected<Statement> prepare(std::string_view sql);
  /// A statement prepared once per connection (SQLITE_PREPARE_PERSISTENT)
  /// and keyed by the SQL text's address: pass string literals only.
  expected<Query> query(const char* sql);
  /// The first column of the first row of a one-value query (PRAGMAs).
  expected<std::string> scalar(const char* sql);

  /// Records sqlite3_errmsg() and returns the error_code for rc.
  std::error_code fail(int rc);
  /// Records a message of our own with an error code.
  std::error_code fail(std::error_code ec, std::string detail);
  [[nodiscard]] const std::string& last_error() const noexcept { return last_error_; }
  [[nodiscard]] sqlite3* handle() const noexcept { return db_; }

 private:
  explicit Connection(sqlite3* db) noexcept : db_(db) {}
  sqlite3* db_;
  std::unordered_map<const char*, Statement> cache_;
  std::string last_error_;
};

/// BEGIN IMMEDIATE ... COMMIT (kind::immediate, for callers that batch
/// writes) or SAVEPOINT ... RELEASE (kind::savepoint, nests inside an
/// outer transaction).  Destroyed without commit(): rolled back.
class Transaction {
 public:
  enum class Kind { immediate, savepoint };
  static expected<Transaction> begin(Connection& c, Kind k);
  Transaction(Transaction&& o) noexcept : c_(o.c_), kind_(o.kind_) { o.c_ = nullptr; }
  Transaction& operator=(Transaction&&) = delete;
  ~Transaction();
  expected<void> commit();

 private:
  Transaction(Connection& c, Kind k) noexcept : c_(&c), kind_(k) {}
  Connection* c_;
  Kind kind_;
};

}  // namespace bcms::storage
