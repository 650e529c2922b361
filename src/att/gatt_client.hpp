// GattClient: the GATT client procedures (Core v5.4 Vol 3 Part G 4.3-4.11)
// as asio C++20 coroutines over an AttBearer's client role.
//
// Design overview
//  * The bearer is given (an L2CAP LE socket to the peer's ATT channel in
//    production, a socketpair in tests) and carries the one-request-at-a-
//    time rule, the 30 s transaction timeout and indication confirmations;
//    this class builds the procedures from requests and decodes answers.
//  * Every procedure returns expected<T>: an ATT Error Response becomes an
//    error_code in the `att` category (e.g. att_errc::insufficient_encryption),
//    an answer of the wrong kind or one that does not decode becomes
//    codec_errc::invalid_value / the codec's error (the peer broke the
//    protocol), a bearer that ended becomes its asio error.
//  * Discovery procedures loop until Attribute Not Found or the end of the
//    range (Part G 4.4.1, 4.6.1, 4.7.1), and refuse a peer whose handles do
//    not increase (a server that would loop us forever).
//  * Long values (Part G 4.8.3): Read, then Read Blob from the end of what
//    arrived while each part fills ATT_MTU-1; a value that ends exactly on
//    a part boundary ends with Invalid Offset or Attribute Not Long, both
//    read as the end.
//  * Notifications and indications (Part G 4.10, 4.11): subscribe()
//    registers the handler BEFORE writing the CCCD, so a value the server
//    sends right after the Write Response is delivered; the subscription
//    is an RAII handle (dropping it unregisters; it does not write the CCCD:
//    unsubscribe() does).
//  * Errors only in the calling coroutine; no exceptions.
#pragma once

#include <asio/awaitable.hpp>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <vector>

#include "protocol/att/pdu.hpp"
#include "protocol/att/uuid.hpp"
#include "protocol/expected.hpp"
#include "src/att/bearer.hpp"

namespace bcms::att {

struct ServiceInfo {
  std::uint16_t start = 0, end = 0;
  Uuid uuid;
};
struct CharacteristicInfo {
  std::uint16_t declaration = 0, value_handle = 0;
  std::uint8_t properties = 0;
  Uuid uuid;
};
struct DescriptorInfo {
  std::uint16_t handle = 0;
  Uuid type;
};

class GattClient final : public ClientRole {
 public:
  using ValueHandler = std::function<void(byte_span value)>;

  /// Attaches to the bearer's client role (and detaches when destroyed).
  explicit GattClient(std::shared_ptr<AttBearer> bearer);
  ~GattClient() override;
  GattClient(const GattClient&) = delete;
  GattClient& operator=(const GattClient&) = delete;

  /// Part G 4.3.1: ATT_MTU = min(ours, the server's), at least 23.
  asio::awaitable<expected<std::uint16_t>> exchange_mtu(std::uint16_t client_rx_mtu = max_mtu);
  /// Part G 4.4.1 (all primary services) or 4.4.2 (by service UUID).
  asio::awaitable<expected<std::vector<ServiceInfo>>> discover_services(std::optional<Uuid> uuid = std::nullopt);
  /// Part G 4.6.1: characteristics of a handle range (a service's).
  asio::awaitable<expected<std::vector<CharacteristicInfo>>> discover_characteristics(std::uint16_t start,
                                                                                      std::uint16_t end);
  /// Part G 4.7.1: descriptors of a handle range (after a value handle).
  asio::awaitable<expected<std::vector<DescriptorInfo>>> discover_descriptors(std::uint16_t start, std::uint16_t end);
  /// Part G 4.8.2 (Read Using Characteristic UUID): every readable
  /// attribute of `type` in the range, with its value (as the server cut
  /// it: at most ATT_MTU-4 octets).
  asio::awaitable<expected<std::vector<std::pair<std::uint16_t, bytes>>>> read_by_type(std::uint16_t start,
                                                                                       std::uint16_t end, Uuid type);
  /// Part G 4.8.1 / 4.8.3: the whole value, long values included.
  asio::awaitable<expected<bytes>> read(std::uint16_t handle);
  /// Part G 4.9.3 (Write Request); values longer than ATT_MTU-3 as a
  /// prepared (long) write, 4.9.4.
  asio::awaitable<expected<void>> write(std::uint16_t handle, bytes value);
  /// Part G 4.9.1 (Write Without Response): queued, never answered.
  std::error_code write_without_response(std::uint16_t handle, bytes value);

  class Subscription {
   public:
    Subscription() = default;
    Subscription(Subscription&& o) noexcept : owner_(std::move(o.owner_)), handle_(o.handle_), id_(o.id_) {}
    Subscription& operator=(Subscription&& o) noexcept;
    ~Subscription() { reset(); }
    void reset();
    [[nodiscard]] std::uint16_t value_handle() const noexcept { return handle_; }

   private:
    friend class GattClient;
    std::weak_ptr<GattClient*> owner_;
    std::uint16_t handle_ = 0;
    std::uint64_t id_ = 0;
  };
  /// Part G 4.10 / 4.11: registers `handler` for the value handle, then
  /// writes the CCCD (0x0001 notifications, 0x0002 indications).
  asio::awaitable<expected<Subscription>> subscribe(std::uint16_t value_handle, std::uint16_t cccd_handle,
                                                    bool indications, ValueHandler handler);
  /// Writes 0x0000 to the CCCD.
  asio::awaitable<expected<void>> unsubscribe(std::uint16_t cccd_handle);

  /// Every notification and indication, subscribed or not (a listener,
  /// like gatttool --listen); `indication` tells which.
  void on_any_value(std::function<void(std::uint16_t handle, byte_span value, bool indication)> cb) {
    any_ = std::move(cb);
  }

  [[nodiscard]] std::uint16_t mtu() const noexcept { return bearer_->state().mtu; }
  [[nodiscard]] AttBearer& bearer() noexcept { return *bearer_; }

  // ClientRole
  void on_notification(std::uint16_t handle, byte_span value) override;
  void on_indication(std::uint16_t handle, byte_span value) override;
  void on_bearer_closed(std::error_code) override {}

 private:
  /// One request and its decoded answer: the expected response, or the
  /// Error Response turned into an error_code.
  asio::awaitable<expected<Pdu>> transact(const Pdu& request);
  void deliver(std::uint16_t handle, byte_span value, bool indication);
  void drop(std::uint16_t handle, std::uint64_t id);

  std::shared_ptr<AttBearer> bearer_;
  std::multimap<std::uint16_t, std::pair<std::uint64_t, ValueHandler>> handlers_;
  std::uint64_t next_id_ = 1;
  std::function<void(std::uint16_t, byte_span, bool)> any_;
  std::shared_ptr<GattClient*> self_ = std::make_shared<GattClient*>(this);
};

}  // namespace bcms::att
