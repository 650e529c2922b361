// Outbox: schema, batching of writes, the size bound, expiry.  The
// durability order is at the top of outbox.hpp.
#include "src/daemon/iot/outbox.hpp"

#include <spdlog/spdlog.h>
#include <sqlite3.h>

#include <algorithm>
#include <array>
#include <nlohmann/json.hpp>
#include <utility>

#include "src/storage/schema.hpp"
#include "src/storage/storage.hpp"

namespace bcms::iot {
namespace {

// v1: samples (one row per payload element) and registrations.
// `timestamp` is seconds since the Unix epoch; `data` the JSON object of
// the sample's fields.  `checked_at` likewise seconds; an empty iot_id is
// a device the backend has not registered (yet).
constexpr const char* v1 = R"sql(
CREATE TABLE samples (
  id        INTEGER PRIMARY KEY,
  device    TEXT    NOT NULL,
  type      TEXT    NOT NULL,
  timestamp INTEGER NOT NULL,
  data      TEXT    NOT NULL,
  UNIQUE (device, type, timestamp)
);
CREATE INDEX samples_by_device ON samples (device, id);

CREATE TABLE registrations (
  device     TEXT    NOT NULL PRIMARY KEY,
  iot_id     TEXT    NOT NULL DEFAULT '',
  checked_at INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

constexpr std::array<storage::Migration, 1> migrations{{{1, v1}}};

std::int64_t seconds(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string sample_data(std::span<const sensor::Reading* const> fields) {
  nlohmann::json data = nlohmann::json::object();
  for (const auto* r : fields) {
    auto& v = data[std::string(r->field)];
    if (!r->text.empty()) {
      v = r->text;
    } else if (r->value == static_cast<double>(static_cast<std::int64_t>(r->value))) {
      v = static_cast<std::int64_t>(r->value);  // 67, not 67.0
    } else {
      v = r->value;
    }
  }
  return data.dump();
}

expected<Outbox> Outbox::open(const std::filesystem::path& file, const OutboxOptions& options, std::string* detail) {
  storage::Options so;
  so.secure_delete = false;  // readings are not secrets; deletes are frequent
  so.synchronous_full = options.power_safe;
  auto db = storage::open_database(file, so, migrations, detail);
  if (!db) return unexpected(db.error());
  auto n = db->connection->scalar("SELECT count(*) FROM samples");
  if (!n) {
    if (detail) *detail = db->connection->last_error();
    return unexpected(n.error());
  }
  return Outbox(std::move(db->connection), options, static_cast<std::size_t>(std::stoull(*n)));
}

Outbox::Outbox(std::unique_ptr<storage::Connection> c, const OutboxOptions& o, std::size_t stored)
    : db_(std::move(c)), options_(o), sampler_(o.sample_interval), stored_(stored) {}
Outbox::Outbox(Outbox&&) noexcept = default;
Outbox& Outbox::operator=(Outbox&&) noexcept = default;
Outbox::~Outbox() = default;

const std::string& Outbox::last_error_detail() const noexcept { return db_->last_error(); }

// ---------------------------------------------------------------- writing

std::size_t Outbox::add(std::string_view device, Clock::time_point at, std::span<const sensor::Reading> readings) {
  // Group by type, keeping the readings' order (a decoder's output is a
  // handful of readings: a linear scan beats a map).
  std::vector<const sensor::Reading*> fields;
  std::vector<std::string_view> done;
  std::size_t taken = 0;
  for (const auto& first : readings) {
    if (std::find(done.begin(), done.end(), first.type) != done.end()) continue;
    done.push_back(first.type);
    if (!sampler_.take(device, first.type, at)) {
      ++counters_.sampled_out;
      continue;
    }
    fields.clear();
    for (const auto& r : readings) {
      if (r.type == first.type) fields.push_back(&r);
    }
    buffer_.push_back(Sample{std::string(device), std::string(first.type), seconds(at), sample_data(fields), 0});
    ++taken;
  }
  return taken;
}

void Outbox::add(Sample s) { buffer_.push_back(std::move(s)); }

expected<void> Outbox::flush() {
  if (buffer_.empty()) return {};
  auto fail = [&](std::error_code ec) -> expected<void> {
    ++counters_.write_failures;
    spdlog::error("outbox: writing {} sample(s) failed, kept for the next attempt: {} ({})", buffer_.size(),
                  ec.message(), db_->last_error());
    return unexpected(ec);
  };
  auto tx = storage::Transaction::begin(*db_, storage::Transaction::Kind::immediate);
  if (!tx) return fail(tx.error());
  std::size_t inserted = 0;
  {
    auto q = db_->query("INSERT OR IGNORE INTO samples (device, type, timestamp, data) VALUES (?1, ?2, ?3, ?4)");
    if (!q) return fail(q.error());
    for (const auto& s : buffer_) {
      (*q)->bind(1, s.device).bind(2, s.type).bind(3, s.timestamp).bind(4, s.data);
      if (auto r = (*q)->run(); !r) return fail(r.error());
      inserted += static_cast<std::size_t>(sqlite3_changes(db_->handle()));
      (*q)->reset();
    }
  }
  const std::size_t before = stored_;
  stored_ += inserted;
  if (auto r = enforce_bound(); !r) {
    stored_ = before;
    return fail(r.error());
  }
  const std::uint64_t dropped = counters_.dropped_full;
  if (auto r = tx->commit(); !r) {
    stored_ = before;
    counters_.dropped_full = dropped;
    return fail(r.error());
  }
  counters_.accepted += inserted;
  counters_.duplicates += buffer_.size() - inserted;
  buffer_.clear();
  return {};
}

// Inside flush()'s transaction: drops the oldest samples beyond the bound.
expected<void> Outbox::enforce_bound() {
  if (stored_ <= options_.max_samples) return {};
  const std::size_t excess = stored_ - options_.max_samples;
  auto q = db_->query("DELETE FROM samples WHERE id IN (SELECT id FROM samples ORDER BY id LIMIT ?1)");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, static_cast<std::int64_t>(excess));
  if (auto r = (*q)->run(); !r) return r;
  const auto n = static_cast<std::size_t>(sqlite3_changes(db_->handle()));
  stored_ -= n;
  counters_.dropped_full += n;
  spdlog::warn("outbox: full ({} samples): dropped the {} oldest sample(s), {} dropped since start",
               options_.max_samples, n, counters_.dropped_full);
  return {};
}

// ---------------------------------------------------------------- reading, removing

expected<std::vector<std::string>> Outbox::devices() {
  auto q = db_->query("SELECT device FROM samples GROUP BY device ORDER BY min(id)");
  if (!q) return unexpected(q.error());
  std::vector<std::string> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return unexpected(row.error());
    if (!*row) return out;
    out.push_back((*q)->text(0));
  }
}

expected<std::vector<Sample>> Outbox::batch(std::string_view device, std::size_t limit) {
  auto q = db_->query(
      "SELECT id, type, timestamp, data FROM samples WHERE device = ?1 ORDER BY id LIMIT ?2");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, device).bind(2, static_cast<std::int64_t>(limit));
  std::vector<Sample> out;
  for (;;) {
    auto row = (*q)->step();
    if (!row) return unexpected(row.error());
    if (!*row) return out;
    out.push_back(Sample{std::string(device), (*q)->text(1), (*q)->int64(2), (*q)->text(3), (*q)->int64(0)});
  }
}

expected<void> Outbox::delete_ids(std::span<const std::int64_t> ids) {
  auto tx = storage::Transaction::begin(*db_, storage::Transaction::Kind::immediate);
  if (!tx) return unexpected(tx.error());
  std::size_t n = 0;
  {
    auto q = db_->query("DELETE FROM samples WHERE id = ?1");
    if (!q) return unexpected(q.error());
    for (auto id : ids) {
      (*q)->bind(1, id);
      if (auto r = (*q)->run(); !r) return r;
      n += static_cast<std::size_t>(sqlite3_changes(db_->handle()));
      (*q)->reset();
    }
  }
  if (auto r = tx->commit(); !r) return r;
  stored_ -= std::min(stored_, n);
  return {};
}

expected<void> Outbox::remove(std::span<const std::int64_t> ids) {
  auto r = delete_ids(ids);
  if (r) counters_.submitted += ids.size();
  return r;
}

expected<void> Outbox::reject(std::span<const std::int64_t> ids) {
  auto r = delete_ids(ids);
  if (r) counters_.rejected += ids.size();
  return r;
}

expected<std::size_t> Outbox::expire(std::string_view device, Clock::time_point now) {
  auto q = db_->query("DELETE FROM samples WHERE device = ?1 AND timestamp < ?2");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, device).bind(2, seconds(now - options_.unregistered_expiry));
  if (auto r = (*q)->run(); !r) return unexpected(r.error());
  const auto n = static_cast<std::size_t>(sqlite3_changes(db_->handle()));
  stored_ -= std::min(stored_, n);
  counters_.expired += n;
  if (n) {
    spdlog::info("outbox: {} sample(s) of unregistered device {} expired ({} s), {} since start", n, device,
                 options_.unregistered_expiry.count(), counters_.expired);
  }
  return n;
}

// ---------------------------------------------------------------- registrations

expected<std::optional<Registration>> Outbox::registration(std::string_view device) {
  auto q = db_->query("SELECT iot_id, checked_at FROM registrations WHERE device = ?1");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, device);
  auto row = (*q)->step();
  if (!row) return unexpected(row.error());
  if (!*row) return std::optional<Registration>();
  return std::optional<Registration>(Registration{std::string(device), (*q)->text(0), (*q)->int64(1)});
}

expected<void> Outbox::store_registration(const Registration& r) {
  auto q = db_->query("INSERT OR REPLACE INTO registrations (device, iot_id, checked_at) VALUES (?1, ?2, ?3)");
  if (!q) return unexpected(q.error());
  (*q)->bind(1, r.device).bind(2, r.iot_id).bind(3, r.checked_at);
  return (*q)->run();
}

}  // namespace bcms::iot
