#include "src/storage/sqlite.hpp"

#include <sqlite3.h>

#include <utility>

namespace bcms::storage {

// ---------------------------------------------------------------- Statement

Statement& Statement::operator=(Statement&& o) noexcept {
  if (this != &o) {
    sqlite3_finalize(stmt_);
    conn_ = o.conn_;
    stmt_ = std::exchange(o.stmt_, nullptr);
    bind_rc_ = o.bind_rc_;
  }
  return *this;
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement& Statement::bind(int i, std::int64_t v) {
  const int rc = sqlite3_bind_int64(stmt_, i, v);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int i, std::string_view text) {
  const int rc = sqlite3_bind_text64(stmt_, i, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_blob(int i, byte_span blob) {
  // A zero-length blob must still be a blob, not NULL: pass a non-null pointer.
  static const std::uint8_t empty = 0;
  const void* p = blob.empty() ? &empty : blob.data();
  const int rc = sqlite3_bind_blob64(stmt_, i, p, blob.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind_null(int i) {
  const int rc = sqlite3_bind_null(stmt_, i);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

expected<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return unexpected(conn_->fail(std::exchange(bind_rc_, SQLITE_OK)));
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return unexpected(conn_->fail(rc));
}

expected<void> Statement::run() {
  auto r = step();
  if (!r) return unexpected(r.error());
  return {};
}

std::int64_t Statement::int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }

std::string Statement::text(int col) const {
  const auto* p = sqlite3_column_text(stmt_, col);
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? std::string(reinterpret_cast<const char*>(p), static_cast<std::size_t>(n)) : std::string();
}

bytes Statement::blob(int col) const {
  const auto* p = static_cast<const std::uint8_t*>(sqlite3_column_blob(stmt_, col));
  const int n = sqlite3_column_bytes(stmt_, col);
  return p ? bytes(p, p + n) : bytes();
}

bool Statement::is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }

void Statement::reset() noexcept {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
  bind_rc_ = SQLITE_OK;
}

// ---------------------------------------------------------------- Connection

expected<std::unique_ptr<Connection>> Connection::open(const std::string& path, int flags) {
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Even on failure sqlite3_open_v2 usually returns a handle (for errmsg);
  // the Connection owns and closes it either way.
  std::unique_ptr<Connection> c(new Connection(db));
  if (rc != SQLITE_OK) return unexpected(c->fail(rc));
  sqlite3_extended_result_codes(db, 1);
  return c;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

std::error_code Connection::fail(int rc) {
  last_error_ = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return sqlite_error_code(rc);
}

std::error_code Connection::fail(std::error_code ec, std::string detail) {
  last_error_ = std::move(detail);
  return ec;
}

expected<void> Connection::exec(const char* sql) {
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return unexpected(fail(rc));
  return {};
}

expected<Statement> Connection::prepare(std::string_view sql) {
  sqlite3_stmt* s = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), 0, &s, nullptr);
  if (rc != SQLITE_OK) return unexpected(fail(rc));
  return Statement(this, s);
}

expected<Query> Connection::query(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* s = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
    if (rc != SQLITE_OK) return unexpected(fail(rc));
    it = cache_.emplace(sql, Statement(this, s)).first;
  }
  return Query(it->second);
}

expected<std::string> Connection::scalar(const char* sql) {
  auto st = prepare(sql);
  if (!st) return unexpected(st.error());
  auto row = st->step();
  if (!row) return unexpected(row.error());
  return *row ? st->text(0) : std::string();
}

// ---------------------------------------------------------------- Transaction

expected<Transaction> Transaction::begin(Connection& c, Kind k) {
  auto r = c.exec(k == Kind::immediate ? "BEGIN IMMEDIATE" : "SAVEPOINT bcms_tx");
  if (!r) return unexpected(r.error());
  return Transaction(c, k);
}

namespace {

// Roll back without touching the connection's recorded error (the error
// that caused the rollback is the one worth keeping).  SQLite may already
// have rolled back by itself (SQLite docs, lang_transaction.html,
// "Response To Errors Within A Transaction"); then this fails harmlessly.
void rollback_quietly(sqlite3* db, Transaction::Kind k) {
  if (k == Transaction::Kind::immediate) {
    if (!sqlite3_get_autocommit(db)) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
  } else {
    sqlite3_exec(db, "ROLLBACK TO bcms_tx; RELEASE bcms_tx", nullptr, nullptr, nullptr);
  }
}

}  // namespace

Transaction::~Transaction() {
  if (c_) rollback_quietly(c_->handle(), kind_);
}

expected<void> Transaction::commit() {
  Connection* c = std::exchange(c_, nullptr);
  if (!c) return {};
  auto r = c->exec(kind_ == Kind::immediate ? "COMMIT" : "RELEASE bcms_tx");
  // A failed COMMIT (e.g. SQLITE_BUSY) leaves the transaction open.
  if (!r) rollback_quietly(c->handle(), kind_);
  return r;
}

}  // namespace bcms::storage
