#include "src/storage/storage_error.hpp"

#include <sqlite3.h>

#include <string>

namespace bcms::storage {
namespace {

class storage_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "bcms.storage"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::schema_too_new: return "database schema is newer than this program";
      case errc::migration_failed: return "database schema migration failed";
      case errc::insecure_permissions: return "storage directory is writable by other users";
      case errc::invalid_row: return "stored row does not decode";
      case errc::bad_path: return "storage path is not a regular file";
      default: break;
    }
    if (ev > 0 && ev < 1000) return sqlite3_errstr(ev);
    return "unknown storage error " + std::to_string(ev);
  }
};

}  // namespace

const std::error_category& storage_category() noexcept {
  static const storage_category_impl instance;
  return instance;
}

std::error_code sqlite_error_code(int rc) noexcept { return {rc & 0xff, storage_category()}; }

}  // namespace bcms::storage
