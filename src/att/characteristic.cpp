#include "src/att/characteristic.hpp"

#include <asio/error.hpp>
#include <asio/post.hpp>

#include "src/att/peripheral.hpp"

namespace bcms::att {
namespace {

Connection connection_of(const ConnState& c) { return Connection{c.id, c.peer}; }

std::uint8_t props_of(Flags f) {
  std::uint8_t p = 0;
  if (has(f, Flags::broadcast)) p |= prop::broadcast;
  if (has(f, Flags::read)) p |= prop::read;
  if (has(f, Flags::write_without_response)) p |= prop::write_without_response;
  if (has(f, Flags::write)) p |= prop::write;
  if (has(f, Flags::notify)) p |= prop::notify;
  if (has(f, Flags::indicate)) p |= prop::indicate;
  if (has(f, Flags::authenticated_signed_writes)) p |= prop::authenticated_signed_writes;
  return p;
}

std::uint16_t perms_of(Flags f) {
  std::uint16_t p = 0;
  if (has(f, Flags::read)) p |= perm::read;
  if (has(f, Flags::write | Flags::write_without_response | Flags::authenticated_signed_writes |
                 Flags::reliable_write))
    p |= perm::write;
  if (has(f, Flags::encrypt_read)) p |= perm::read_encrypted;
  if (has(f, Flags::encrypt_write)) p |= perm::write_encrypted;
  if (has(f, Flags::authenticate_read)) p |= perm::read_authenticated;
  if (has(f, Flags::authenticate_write)) p |= perm::write_authenticated;
  if (has(f, Flags::authorize_read)) p |= perm::read_authorized;
  if (has(f, Flags::authorize_write)) p |= perm::write_authorized;
  return p;
}

}  // namespace

Characteristic::Characteristic(Service& /*service*/, const Uuid& uuid, Flags flags, CharacteristicOptions opts)
    : uuid_(uuid), flags_(flags), opts_(std::move(opts)), value_(opts_.initial) {
  if (opts_.max_len > max_value_len) opts_.max_len = max_value_len;
  if (value_.size() > opts_.max_len) value_.resize(opts_.max_len);
}

// ------------------------------------------------------------ configuration
Characteristic& Characteristic::on_read(ReadHook hook) {
  read_hook_ = std::move(hook);
  return *this;
}
Characteristic& Characteristic::read_handler(SyncRead h) {
  read_ = [h = std::move(h)](const Connection& c, ReadDone done) { done(h(c)); };
  return *this;
}
Characteristic& Characteristic::read_handler(AsyncRead h) {
  read_ = std::move(h);
  return *this;
}
Characteristic& Characteristic::write_handler(SyncWrite h) {
  write_ = [h = std::move(h)](const Connection& c, std::uint16_t, byte_span v, WriteDone done) { done(h(c, v)); };
  write_takes_offset_ = false;
  return *this;
}
Characteristic& Characteristic::write_handler(AsyncWrite h) {
  write_ = [h = std::move(h)](const Connection& c, std::uint16_t, byte_span v, WriteDone done) {
    h(c, v, std::move(done));
  };
  write_takes_offset_ = false;
  return *this;
}
Characteristic& Characteristic::write_handler(SyncWriteAt h) {
  write_ = [h = std::move(h)](const Connection& c, std::uint16_t off, byte_span v, WriteDone done) {
    done(h(c, off, v));
  };
  write_takes_offset_ = true;
  return *this;
}
Characteristic& Characteristic::write_handler(AsyncWriteAt h) {
  write_ = std::move(h);
  write_takes_offset_ = true;
  return *this;
}
Characteristic& Characteristic::on_written(std::function<void(const Connection&, byte_span)> cb) {
  written_cb_ = std::move(cb);
  return *this;
}
Characteristic& Characteristic::user_description(std::string text) {
  return descriptor(Uuid(user_description_uuid), bytes(text.begin(), text.end()));
}
Characteristic& Characteristic::presentation_format(const PresentationFormat& f) {
  // Vol 3 Part G 3.3.3.5: Format, Exponent, Unit, Name Space, Description.
  bytes v;
  ByteWriter w(v);
  w.u8(f.format);
  w.i8(f.exponent);
  w.u16(f.unit);
  w.u8(f.name_space);
  w.u16(f.description);
  return descriptor(Uuid(presentation_format_uuid), std::move(v));
}
Characteristic& Characteristic::descriptor(const Uuid& type, bytes value, std::uint16_t perms) {
  descriptors_.push_back({type, std::move(value), perms});
  return *this;
}

void Characteristic::register_into(GattDb& db, Peripheral& p) {
  peripheral_ = &p;
  AttributeSpec spec;
  spec.perms = perms_of(flags_);
  std::weak_ptr<int> alive = alive_;
  spec.read = [this, alive](const AccessRequest& r, ReadDone done) {
    if (alive.expired()) return done(tl::unexpected(att_errc::unlikely_error));
    on_client_read(r, std::move(done));
  };
  spec.write = [this, alive](const AccessRequest& r, byte_span v, WriteDone done) {
    if (alive.expired()) return done(tl::unexpected(att_errc::unlikely_error));
    on_client_write(r, v, std::move(done));
  };
  spec.check_write = [this, alive](const AccessRequest& r, std::size_t len) -> std::optional<att_errc> {
    if (alive.expired()) return att_errc::unlikely_error;
    return check_write(r.offset, len);
  };
  std::uint16_t ext = 0;
  if (has(flags_, Flags::reliable_write)) ext |= ext_prop::reliable_write;
  if (has(flags_, Flags::writable_auxiliaries)) ext |= ext_prop::writable_auxiliaries;
  handles_ = db.add_characteristic(uuid_, props_of(flags_), std::move(spec), ext);
  for (auto& d : descriptors_) {
    AttributeSpec ds;
    ds.perms = d.perms;
    ds.value = d.value;
    db.add_descriptor(d.type, std::move(ds));
  }
}

// ------------------------------------------------------------ client access
void Characteristic::on_client_read(const AccessRequest& r, ReadDone done) {
  const Connection c = connection_of(r.conn);
  if (read_hook_) {
    if (auto e = read_hook_(c)) return done(tl::unexpected(*e));  // aioble on_read refusing
  }
  if (read_) return read_(c, std::move(done));
  done(value_);
}

std::optional<att_errc> Characteristic::check_write(std::uint16_t offset, std::size_t len) const {
  if (opts_.capture && opts_.overflow == OverflowPolicy::reject && captured_.size() >= opts_.capture_capacity &&
      waiters_.empty())
    return att_errc::insufficient_resources;
  if (write_) {
    if (offset != 0 && !write_takes_offset_) return att_errc::invalid_offset;
    if (std::size_t{offset} + len > opts_.max_len) return att_errc::invalid_attribute_value_length;
    return std::nullopt;
  }
  if (opts_.append) {
    if (value_.size() + len > opts_.max_len) return att_errc::invalid_attribute_value_length;
    return std::nullopt;
  }
  if (offset > value_.size()) return att_errc::invalid_offset;
  if (std::size_t{offset} + len > opts_.max_len) return att_errc::invalid_attribute_value_length;
  return std::nullopt;
}

WriteResult Characteristic::store(std::uint16_t offset, byte_span v) {
  if (opts_.append) {
    if (value_.size() + v.size() > opts_.max_len) return tl::unexpected(att_errc::invalid_attribute_value_length);
    value_.insert(value_.end(), v.begin(), v.end());
    return {};
  }
  if (offset > value_.size()) return tl::unexpected(att_errc::invalid_offset);
  if (offset + v.size() > opts_.max_len) return tl::unexpected(att_errc::invalid_attribute_value_length);
  value_.resize(offset);
  value_.insert(value_.end(), v.begin(), v.end());
  return {};
}

void Characteristic::on_client_write(const AccessRequest& r, byte_span v, WriteDone done) {
  const Connection c = connection_of(r.conn);
  if (auto e = check_write(r.offset, v.size())) {
    if (*e == att_errc::insufficient_resources) ++dropped_;
    return done(tl::unexpected(*e));
  }
  auto accepted = [this, c, off = r.offset, data = bytes(v.begin(), v.end())] {
    if (opts_.capture) deliver(CapturedWrite{c, data, off});
    if (written_cb_) written_cb_(c, data);
  };
  if (write_) {
    return write_(c, r.offset, v,
                  [accepted, done = std::move(done), alive = std::weak_ptr<int>(alive_)](WriteResult res) {
                    if (res && !alive.expired()) accepted();
                    done(res);
                  });
  }
  WriteResult res = store(r.offset, v);
  if (res) accepted();
  done(res);
}

void Characteristic::deliver(CapturedWrite w) {
  if (!waiters_.empty()) {
    auto cb = std::move(waiters_.front());
    waiters_.pop_front();
    // Not from inside the server's request handling: post it.
    asio::post(peripheral_->io(), [cb = std::move(cb), w = std::move(w)]() mutable { cb(std::move(w)); });
    return;
  }
  if (captured_.size() >= opts_.capture_capacity) {
    ++dropped_;
    if (opts_.overflow == OverflowPolicy::drop_newest) return;
    captured_.pop_front();  // drop_oldest
  }
  captured_.push_back(std::move(w));
}

std::optional<CapturedWrite> Characteristic::next_write() {
  if (captured_.empty()) return std::nullopt;
  CapturedWrite w = std::move(captured_.front());
  captured_.pop_front();
  return w;
}

void Characteristic::written(std::function<void(CapturedWrite)> cb) {
  if (auto w = next_write()) {
    if (peripheral_) {
      asio::post(peripheral_->io(), [cb = std::move(cb), w = std::move(*w)]() mutable { cb(std::move(w)); });
    } else {
      cb(std::move(*w));
    }
    return;
  }
  waiters_.push_back(std::move(cb));
}

// ------------------------------------------------------------ local value, pushes
void Characteristic::write(bytes value, bool send_update) {
  if (value.size() > opts_.max_len) value.resize(opts_.max_len);
  value_ = std::move(value);
  if (send_update) notify_all();
}

bytes Characteristic::take() {
  bytes v = std::move(value_);
  value_.clear();
  return v;
}

std::error_code Characteristic::notify(ConnId conn, std::optional<bytes> value) {
  auto b = peripheral_ ? peripheral_->bearer(conn) : nullptr;
  if (!b) return asio::error::not_connected;
  const bytes& v = value ? *value : value_;
  peripheral_->server().refresh(b->state());
  auto pdu = peripheral_->server().notification(b->state(), handles_.value, v, false);
  if (!pdu) return att_errc::cccd_improperly_configured;
  return b->send_pdu(std::move(*pdu));
}

void Characteristic::indicate(ConnId conn, std::optional<bytes> value, std::function<void(std::error_code)> done) {
  auto b = peripheral_ ? peripheral_->bearer(conn) : nullptr;
  if (!b) {
    if (done) done(asio::error::not_connected);
    return;
  }
  peripheral_->server().refresh(b->state());
  if (!(peripheral_->server().subscription(b->state(), handles_.value) & cccd_indicate)) {
    if (done) done(att_errc::cccd_improperly_configured);
    return;
  }
  b->send_indication(handles_.value, value ? std::move(*value) : value_, std::move(done));
}

std::size_t Characteristic::notify_all(std::optional<bytes> value) {
  if (!peripheral_) return 0;
  std::size_t n = 0;
  for (ConnId id : peripheral_->connections()) {
    auto b = peripheral_->bearer(id);
    peripheral_->server().refresh(b->state());
    const std::uint16_t sub = peripheral_->server().subscription(b->state(), handles_.value);
    if (sub & cccd_notify) {
      if (!notify(id, value)) ++n;
    } else if (sub & cccd_indicate) {
      indicate(id, value, nullptr);
      ++n;
    }
  }
  return n;
}

// ------------------------------------------------------------ Service
Characteristic& Service::characteristic(const Uuid& uuid, Flags flags, CharacteristicOptions opts) {
  chars_.push_back(std::make_unique<Characteristic>(*this, uuid, flags, std::move(opts)));
  return *chars_.back();
}

Service& Service::include(Service& other) {
  includes_.push_back(&other);
  return *this;
}

void Service::register_into(GattDb& db, Peripheral& p) {
  handle_ = db.begin_service(uuid_, primary_);
  for (Service* inc : includes_)
    if (inc->registered()) db.add_include(inc->handle());
  for (auto& c : chars_) c->register_into(db, p);
  db.end_service();
}

}  // namespace bcms::att
