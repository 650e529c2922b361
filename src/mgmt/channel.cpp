#include "src/mgmt/channel.hpp"

#include <array>
#include <deque>
#include <map>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include <asio/error.hpp>
#include <asio/steady_timer.hpp>
#include <spdlog/spdlog.h>

#include "gen/mgmt_codes.hpp"
#include "protocol/mgmt/dispatch.hpp"
#include "protocol/mgmt/frame.hpp"
#include "protocol/mgmt_tables/names.hpp"
#include "protocol/mgmt/status.hpp"
#include "protocol/sys_error.hpp"

namespace bcms::mgmt {

namespace {
constexpr std::size_t kMaxPacket = kHeaderSize + kMaxParams;  // header + largest Parameter Length
constexpr std::uint16_t code_of(EventCode c) { return static_cast<std::uint16_t>(c); }
}  // namespace

struct MgmtChannel::State : std::enable_shared_from_this<MgmtChannel::State> {
  explicit State(socket_type s) : socket(std::move(s)) {}

  struct Command {
    std::uint16_t opcode = 0;
    std::uint16_t index = 0;
    bytes frame;
    CommandHandler handler;
    std::unique_ptr<asio::steady_timer> timer;
    bool in_flight = false;
    bool tombstone = false;  // timed out or cancelled while in flight
  };
  struct Sub {
    std::uint64_t id;
    std::uint16_t event;
    std::uint32_t index;
    std::shared_ptr<CheckedHandler> handler;
    bool typed = false;  // size-checked against the table before the handler runs
    bool active = true;
  };
  using Key = std::pair<std::uint16_t, std::uint16_t>;  // (opcode, index)

  socket_type socket;
  clock::duration default_timeout = std::chrono::seconds(2);
  std::map<std::uint64_t, Command> commands;   // by id: ids grow, so map order = FIFO
  std::map<Key, std::uint64_t> in_flight;      // key -> command id (incl. tombstones)
  std::deque<bytes> write_queue;
  bool writing = false;
  std::vector<Sub> subs;
  int dispatch_depth = 0;
  bool subs_dirty = false;
  std::uint64_t next_id = 1;
  bool closed = false;
  std::function<void(std::error_code)> on_closed;
  Stats stats;
  std::vector<std::uint8_t> rx = std::vector<std::uint8_t>(kMaxPacket);

  // ------------------------------------------------------------ commands
  std::uint64_t add(std::uint16_t opcode, std::uint16_t index, bytes params, CommandHandler h,
                    clock::duration timeout) {
    const std::uint64_t id = next_id++;
    Command c;
    c.opcode = opcode;
    c.index = index;
    auto frame = encode_command(opcode, index, params);
    if (!frame) {  // parameters over 65535 octets: fail on the loop, never inline
      asio::post(socket.get_executor(), [h = std::move(h), ec = frame.error()] { h(ec, {}); });
      return id;
    }
    c.frame = std::move(*frame);
    c.handler = std::move(h);
    c.timer = std::make_unique<asio::steady_timer>(socket.get_executor());
    c.timer->expires_after(timeout.count() ? timeout : default_timeout);
    c.timer->async_wait([w = weak_from_this(), id](std::error_code ec) {
      if (ec) return;  // cancelled: the command completed
      if (auto s = w.lock()) s->expire(id, timeout_error());
    });
    commands.emplace(id, std::move(c));
    if (closed) {
      expire(id, asio::error::operation_aborted);
    } else {
      pump();
    }
    return id;
  }

  // Sends every waiting command whose (opcode, index) is free, in FIFO order.
  void pump() {
    for (auto& [id, c] : commands) {
      if (c.in_flight) continue;
      Key k{c.opcode, c.index};
      if (in_flight.count(k)) continue;
      in_flight.emplace(k, id);
      c.in_flight = true;
      write_queue.push_back(std::move(c.frame));
      c.frame = {};
      ++stats.commands_sent;
    }
    start_write();
  }

  void start_write() {
    if (writing || write_queue.empty() || closed) return;
    writing = true;
    socket.async_send(asio::buffer(write_queue.front()),
                      [self = shared_from_this()](std::error_code ec, std::size_t) {
                        self->writing = false;
                        if (ec) {
                          self->fail_all(ec);
                          return;
                        }
                        if (!self->write_queue.empty()) self->write_queue.pop_front();
                        self->start_write();
                      });
  }

  // Removes a command and returns its handler (empty for tombstones).
  CommandHandler take(std::map<std::uint64_t, Command>::iterator it) {
    Command& c = it->second;
    if (c.in_flight) {
      auto f = in_flight.find({c.opcode, c.index});
      if (f != in_flight.end() && f->second == it->first) in_flight.erase(f);
    }
    if (c.timer) c.timer->cancel();
    CommandHandler h = c.tombstone ? CommandHandler{} : std::move(c.handler);
    commands.erase(it);
    return h;
  }

  // Timeout or cancel.  A command already sent becomes a tombstone that keeps
  // its key busy until the late reply, Index Removed, or one more period.
  void expire(std::uint64_t id, std::error_code ec) {
    auto it = commands.find(id);
    if (it == commands.end()) return;
    Command& c = it->second;
    if (c.tombstone) {  // second expiry of a tombstone: give the key back
      take(it);
      pump();
      return;
    }
    if (c.in_flight) {
      c.tombstone = true;
      CommandHandler h = std::move(c.handler);
      c.timer->expires_after(default_timeout);
      c.timer->async_wait([w = weak_from_this(), id](std::error_code e) {
        if (e) return;
        if (auto s = w.lock()) s->expire(id, {});
      });
      if (h) h(ec, {});
      return;
    }
    CommandHandler h = take(it);
    if (h) h(ec, {});
  }

  void fail_where(bool (*pred)(const Command&, std::uint16_t), std::uint16_t arg, std::error_code ec) {
    std::vector<CommandHandler> hs;
    for (auto it = commands.begin(); it != commands.end();) {
      auto next = std::next(it);
      if (pred(it->second, arg)) {
        if (auto h = take(it)) hs.push_back(std::move(h));
      }
      it = next;
    }
    pump();
    for (auto& h : hs) h(ec, {});
  }

  void fail_all(std::error_code ec) {
    if (!closed) {
      closed = true;
      std::error_code ignored;
      socket.close(ignored);
    }
    fail_where([](const Command&, std::uint16_t) { return true; }, 0, ec);
    if (auto cb = std::exchange(on_closed, nullptr)) cb(ec);
  }

  void on_reply(std::uint16_t index, byte_span params, bool complete) {
    CommandComplete reply_value;
    expected<CommandComplete> reply = reply_value;
    if (complete) {
      reply = parse_command_complete(params);
    } else if (auto st = parse_command_status(params)) {
      reply = CommandComplete{st->opcode, st->status, {}};
    } else {
      reply = unexpected(st.error());
    }
    if (!reply) {
      ++stats.malformed;
      spdlog::warn("mgmt: malformed command {} event on index {}: {}", complete ? "complete" : "status", index,
                   reply.error().message());
      return;
    }
    auto f = in_flight.find({reply->opcode, index});
    if (f == in_flight.end()) {
      ++stats.replies_unmatched;
      spdlog::debug("mgmt: reply to opcode 0x{:04x} index {} matches no command", reply->opcode, index);
      return;
    }
    auto it = commands.find(f->second);
    if (it->second.tombstone) ++stats.replies_unmatched;
    else ++stats.replies_matched;
    CommandHandler h = take(it);
    pump();
    if (h) h(make_error_code(reply->status), bytes(reply->params.begin(), reply->params.end()));
  }

  // ------------------------------------------------------------ events
  void dispatch(std::uint16_t code, std::uint16_t index, byte_span params) {
    ++dispatch_depth;
    const std::size_t n = subs.size();  // subscriptions added now see the next event
    std::optional<std::error_code> size_ec;  // the table's check, once per event
    bool dropped = false;
    auto drop = [&](std::error_code ec) {
      if (std::exchange(dropped, true)) return;  // counted and logged once per event
      ++stats.events_dropped;
      const std::string_view name = event_name(code);
      spdlog::warn("mgmt: dropped malformed {} event (0x{:04x}, {} octets) on index {}: {}",
                   name.empty() ? "unknown" : name, code, params.size(), index, ec.message());
    };
    for (std::size_t i = 0; i < n && !closed; ++i) {
      if (!subs[i].active || subs[i].event != code) continue;
      if (subs[i].index != kAnyIndex && subs[i].index != index) continue;
      if (subs[i].typed) {
        if (!size_ec) size_ec = check_event_size(code, params.size());
        if (*size_ec) {
          drop(*size_ec);
          continue;
        }
      }
      auto h = subs[i].handler;  // keeps the callable alive if it unsubscribes itself
      if (std::error_code ec = (*h)(index, params)) drop(ec);
    }
    if (--dispatch_depth == 0 && subs_dirty) {
      std::erase_if(subs, [](const Sub& s) { return !s.active; });
      subs_dirty = false;
    }
  }

  void unsubscribe(std::uint64_t id) {
    for (auto& s : subs) {
      if (s.id != id) continue;
      s.active = false;
      s.handler.reset();  // releases captured state now; dispatch holds its own copy
      subs_dirty = true;
    }
    if (dispatch_depth == 0 && subs_dirty) {
      std::erase_if(subs, [](const Sub& s) { return !s.active; });
      subs_dirty = false;
    }
  }

  // ------------------------------------------------------------ reading
  void start_read() {
    socket.async_receive(asio::buffer(rx), [self = shared_from_this()](std::error_code ec, std::size_t n) {
      if (self->closed) return;
      if (!ec && n == 0) ec = asio::error::eof;  // a packet socket reads 0 only when the peer closed
      if (ec) {
        spdlog::debug("mgmt: socket closed: {}", ec.message());
        self->fail_all(ec);
        return;
      }
      self->on_packet(byte_span(self->rx.data(), n));
      if (!self->closed) self->start_read();
    });
  }

  void on_packet(byte_span pkt) {
    auto frame = decode_frame(pkt);
    if (!frame) {
      ++stats.malformed;
      spdlog::warn("mgmt: dropped malformed packet ({} bytes): {}", pkt.size(), frame.error().message());
      return;
    }
    switch (frame->code) {
      case code_of(EventCode::CommandComplete): on_reply(frame->index, frame->params, true); return;
      case code_of(EventCode::CommandStatus): on_reply(frame->index, frame->params, false); return;
      default: break;
    }
    ++stats.events;
    if (frame->code == code_of(EventCode::IndexRemoved)) {
      const std::uint16_t idx = frame->index;
      fail_where([](const Command& c, std::uint16_t i) { return c.index == i; }, idx,
                 errno_code(ENODEV));
    }
    // The frame's params view the rx buffer, which is not reused until the
    // next read is started after this returns.
    dispatch(frame->code, frame->index, frame->params);
  }
};

// ---------------------------------------------------------------- MgmtChannel

MgmtChannel::MgmtChannel(socket_type socket) : state_(std::make_shared<State>(std::move(socket))) {
  state_->start_read();
}

MgmtChannel::~MgmtChannel() { close(); }

asio::any_io_executor MgmtChannel::get_executor() const { return state_->socket.get_executor(); }

void MgmtChannel::set_default_timeout(clock::duration d) { state_->default_timeout = d; }

PendingCommand MgmtChannel::send(std::uint16_t opcode, std::uint16_t index, bytes params, CommandHandler handler,
                                 clock::duration timeout) {
  return {state_, state_->add(opcode, index, std::move(params), std::move(handler), timeout)};
}

Subscription MgmtChannel::subscribe(std::uint16_t event, std::uint32_t index, EventHandler handler) {
  const std::uint64_t id = state_->next_id++;
  auto h = std::make_shared<CheckedHandler>([fn = std::move(handler)](std::uint16_t i, byte_span p) {
    fn(i, p);
    return std::error_code{};
  });
  state_->subs.push_back({id, event, index, std::move(h), false});
  return {state_, id};
}

Subscription MgmtChannel::subscribe_checked(std::uint16_t event, std::uint32_t index, CheckedHandler handler) {
  const std::uint64_t id = state_->next_id++;
  state_->subs.push_back({id, event, index, std::make_shared<CheckedHandler>(std::move(handler)), true});
  return {state_, id};
}

void MgmtChannel::on_closed(std::function<void(std::error_code)> handler) { state_->on_closed = std::move(handler); }

MgmtChannel::Stats MgmtChannel::stats() const { return state_->stats; }

std::size_t MgmtChannel::pending() const {
  std::size_t n = 0;
  for (auto& [id, c] : state_->commands) n += !c.tombstone;
  return n;
}

void MgmtChannel::close() {
  auto s = state_;
  if (s->closed) return;
  s->closed = true;
  std::error_code ignored;
  s->socket.close(ignored);
  // Pending handlers learn of the close from the loop, never from inside a
  // destructor.
  std::vector<CommandHandler> hs;
  for (auto it = s->commands.begin(); it != s->commands.end();) {
    auto next = std::next(it);
    if (auto h = s->take(it)) hs.push_back(std::move(h));
    it = next;
  }
  for (auto& h : hs)
    asio::post(s->socket.get_executor(), [h = std::move(h)] { h(asio::error::operation_aborted, {}); });
  s->on_closed = nullptr;
  for (auto& sub : s->subs) sub.handler.reset(), sub.active = false;
}

// ---------------------------------------------------------------- handles

void PendingCommand::cancel() {
  if (auto s = state_.lock()) s->expire(id_, asio::error::operation_aborted);
}

Subscription::Subscription(Subscription&& o) noexcept : state_(std::move(o.state_)), id_(std::exchange(o.id_, 0)) {}

Subscription& Subscription::operator=(Subscription&& o) noexcept {
  if (this != &o) {
    reset();
    state_ = std::move(o.state_);
    id_ = std::exchange(o.id_, 0);
  }
  return *this;
}

Subscription::~Subscription() { reset(); }

void Subscription::reset() {
  if (id_ == 0) return;
  if (auto s = state_.lock()) s->unsubscribe(id_);
  state_.reset();
  id_ = 0;
}

bool Subscription::active() const {
  if (id_ == 0) return false;
  auto s = state_.lock();
  if (!s) return false;
  for (auto& sub : s->subs)
    if (sub.id == id_) return sub.active;
  return false;
}

}  // namespace bcms::mgmt
