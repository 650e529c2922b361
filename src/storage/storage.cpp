// Storage: opening (permissions, pragmas, migrations).  Devices and
// settings: devices.cpp.
// Bonds and CCCDs are in bonds.cpp.
#include "src/storage/storage.hpp"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "protocol/sys_error.hpp"
#include "src/storage/rows.hpp"
#include "src/storage/schema.hpp"

namespace bcms::storage {
namespace {

namespace fs = std::filesystem;

// Restores the previous umask when the open is over.
class UmaskGuard {
 public:
  explicit UmaskGuard(mode_t m) noexcept : old_(::umask(m)) {}
  ~UmaskGuard() { ::umask(old_); }
  UmaskGuard(const UmaskGuard&) = delete;
  UmaskGuard& operator=(const UmaskGuard&) = delete;

 private:
  mode_t old_;
};

// The directory: created 0700 if missing; an existing one must not be
// writable by group or others.
std::error_code prepare_directory(const fs::path& dir, std::string& detail) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT) return errno_code();
    std::error_code ec;
    fs::create_directories(dir, ec);  // under umask 077: 0700
    if (ec) return ec;
    if (::chmod(dir.c_str(), 0700) != 0) return errno_code();
    return {};
  }
  if (!S_ISDIR(st.st_mode)) {
    detail = dir.string() + " is not a directory";
    return errc::bad_path;
  }
  if (st.st_mode & (S_IWGRP | S_IWOTH)) {
    detail = dir.string() + " is writable by group or others";
    return errc::insecure_permissions;
  }
  return {};
}

// The file: created 0600 here (never through a symlink); an existing
// file's group/other bits are cleared.
std::error_code prepare_file(const fs::path& file, std::string& detail) {
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    if (errno == ELOOP) {
      detail = file.string() + " is a symbolic link";
      return errc::bad_path;
    }
    return errno_code();
  }
  std::error_code ec;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    ec = errno_code();
  } else if (!S_ISREG(st.st_mode)) {
    detail = file.string() + " is not a regular file";
    ec = errc::bad_path;
  } else if ((st.st_mode & 077) && ::fchmod(fd, 0600) != 0) {
    ec = errno_code();
  }
  ::close(fd);
  return ec;
}

}  // namespace

Storage::~Storage() = default;

expected<OpenDatabase> open_database(const fs::path& file, const Options& options,
                                     std::span<const Migration> migrations, std::string* detail) {
  std::string scratch;
  std::string& why = detail ? *detail : scratch;
  UmaskGuard umask_guard(077);

  fs::path dir = file.parent_path();
  if (dir.empty()) dir = ".";
  if (auto ec = prepare_directory(dir, why)) return unexpected(ec);
  if (auto ec = prepare_file(file, why)) return unexpected(ec);

  auto conn = Connection::open(file.string(), SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW);
  if (!conn) {
    why = "sqlite3_open_v2: " + std::string(conn.error().message());
    return unexpected(conn.error());
  }
  Connection& c = **conn;
  auto failed = [&](std::error_code ec) {
    why = c.last_error();
    return unexpected(ec);
  };
  sqlite3_busy_timeout(c.handle(), options.busy_timeout_ms);

  // The first statement reads the header: a non-database file fails here
  // with errc::notadb.
  auto mode = c.scalar("PRAGMA journal_mode = WAL");
  if (!mode) return failed(mode.error());
  if (*mode != "wal") {
    return failed(c.fail(make_error_code(errc::cantopen), "journal_mode is " + *mode + ", WAL not available"));
  }
  if (auto r = c.exec(options.synchronous_full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"); !r) {
    return failed(r.error());
  }
  if (auto r = c.exec(options.secure_delete ? "PRAGMA secure_delete = ON" : "PRAGMA secure_delete = OFF"); !r) {
    return failed(r.error());
  }
  if (options.quick_check) {
    auto check = c.scalar("PRAGMA quick_check");
    if (!check) return failed(check.error());
    if (*check != "ok") return failed(c.fail(make_error_code(errc::corrupt), "quick_check: " + *check));
  }
  auto version = migrate(c, migrations);
  if (!version) return failed(version.error());
  return OpenDatabase{std::move(*conn), *version};
}

expected<Storage> Storage::open(const fs::path& file, const Options& options, std::string* detail) {
  auto db = open_database(file, options, schema_migrations(), detail);
  if (!db) return unexpected(db.error());
  return Storage(std::move(db->connection), db->version);
}

const std::string& Storage::last_error_detail() const noexcept { return db_->last_error(); }

expected<Transaction> Storage::transaction() { return Transaction::begin(*db_, Transaction::Kind::immediate); }

}  // namespace bcms::storage
