#include "src/att/peripheral.hpp"

#include <asio/post.hpp>

namespace bcms::att {

Peripheral::Peripheral(asio::io_context& io, PeripheralOptions opts)
    : io_(io), opts_(std::move(opts)), server_(db_, opts_.server) {
  server_.set_indicate_sink([this](ConnState& c, std::uint16_t h, bytes v, std::function<void(std::error_code)> done) {
    if (auto b = bearer(c.id)) b->send_indication(h, std::move(v), std::move(done));
  });
}

Peripheral::~Peripheral() {
  alive_.reset();
  auto links = std::move(links_);
  links_.clear();
  for (auto& [id, link] : links) {
    link.bearer->on_closed(nullptr);
    link.bearer->close();
  }
}

Service& Peripheral::service(const Uuid& uuid, bool primary) {
  owned_.push_back(std::make_unique<Service>(uuid, primary));
  services_.push_back(owned_.back().get());
  return *owned_.back();
}

void Peripheral::add(Service& s) { services_.push_back(&s); }

void Peripheral::register_services() {
  if (!core_registered_) {
    core_ = add_core_services(db_, opts_.name, opts_.appearance, opts_.robust_caching);
    core_registered_ = true;
  }
  for (Service* s : services_)
    if (!s->registered()) s->register_into(db_, *this);
}

void Peripheral::set_name(std::string name) {
  opts_.name = std::move(name);
  if (Attribute* a = db_.find(core_.device_name)) a->value.assign(opts_.name.begin(), opts_.name.end());
}

ConnId Peripheral::attach(AttBearer::Socket socket, const Peer& peer, std::unique_ptr<LinkSecurity> security,
                          bool bonded) {
  const ConnId id = next_id_++;
  ConnState st;
  st.id = id;
  st.peer = peer;
  st.bonded = bonded;
  st.security = security.get();
  auto b = AttBearer::create(std::move(socket), server_, std::move(st), opts_.bearer);
  links_[id] = Link{b, std::move(security)};
  const Connection conn{id, peer};
  std::weak_ptr<int> alive = alive_;
  b->on_closed([this, alive, conn](std::error_code ec) {
    if (alive.expired()) return;
    // Destroy the link after the bearer has finished its own callback.
    asio::post(io_, [this, alive, conn, ec] {
      if (alive.expired()) return;
      links_.erase(conn.id);
      if (on_disconnect_) on_disconnect_(conn, ec);
    });
  });
  b->start();
  if (on_connect_) on_connect_(conn);
  return id;
}

void Peripheral::disconnect(ConnId id) {
  if (auto b = bearer(id)) b->close();
}

std::vector<ConnId> Peripheral::connections() const {
  std::vector<ConnId> ids;
  for (const auto& [id, link] : links_)
    if (link.bearer->usable()) ids.push_back(id);
  return ids;
}

std::shared_ptr<AttBearer> Peripheral::bearer(ConnId id) const {
  auto it = links_.find(id);
  return it == links_.end() || !it->second.bearer->usable() ? nullptr : it->second.bearer;
}

std::optional<Connection> Peripheral::connection(ConnId id) const {
  auto b = bearer(id);
  if (!b) return std::nullopt;
  return Connection{id, b->state().peer};
}

}  // namespace bcms::att
