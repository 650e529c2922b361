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
//  * Security (Part C 10.3.2, as BlueZ's att.c change_security): an
//    Insufficient Encryption, Insufficient Authentication or Encryption Key
//    Size Too Short answer makes the client raise the link on the bearer
//    (AttBearer::raise_security: Medium when unencrypted, else the next
//    level up) and send the same request ONCE more; a second refusal, or
//    a raise that fails, returns the ATT error.  No raise without a
//    LinkSecurity on the bearer, and none past FIPS.
//  * Service Changed (Part G 7.1): an indication on the Service Changed
//    value handle (learnt from discover_characteristics(), or given with
//    set_service_changed_handle()) is confirmed by the bearer and reported
//    through on_service_changed(start, end).  DECISION: a discovery
//    procedure (services, included services, characteristics,
//    descriptors) during which a change overlapping its handle range
//    arrives runs again from the start, ONCE; a second overlapping change
//    during the rerun fails it with att_errc::database_out_of_sync (the
//    caller's view is out of sync; it should wait and rediscover).
//  * A bearer that ends mid-procedure (remote disconnect, transaction
//    timeout, close()) completes the procedure with the bearer's reason
//    (e.g. asio::error::eof for a remote disconnect, timed_out): nothing
//    waits for an answer that cannot come.
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
#include "src/att/conn_state.hpp"

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
/// An Include declaration (Part G 3.2): where it is and what it includes.
struct IncludedServiceInfo {
  std::uint16_t handle = 0;
  std::uint16_t start = 0, end = 0;
  Uuid uuid;
};
/// A bonded peer's CSRK (ours, as SMP distributed it to the peer, Vol 3
/// Part H 3.6.6) and the SignCounter of the next signed write.  The client
/// advances `counter` for every write it signs; the caller persists it
/// (the peer refuses a counter it has seen, across connections).
struct SigningKey {
  Key128 csrk{};
  std::uint32_t counter = 0;
};
/// One value of a reliable write (Part G 4.9.5).
struct QueuedWrite {
  std::uint16_t handle = 0;
  bytes value;
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
  /// Part G 4.5.1: included services of a handle range (a service's); a
  /// 128-bit included service's UUID is read from its declaration.
  asio::awaitable<expected<std::vector<IncludedServiceInfo>>> discover_included_services(std::uint16_t start,
                                                                                          std::uint16_t end);
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
  /// Part G 4.8.4 (Read Multiple, ATT_READ_MULTIPLE_REQ): the values of
  /// at least two handles, concatenated as the server sent them (cut at
  /// ATT_MTU-1; the caller knows the lengths).
  asio::awaitable<expected<bytes>> read_multiple(std::vector<std::uint16_t> handles);
  /// Part G 4.8.5 (Read Multiple Variable Length): one value per handle;
  /// a value the server cut at ATT_MTU is completed with Read Blob.
  asio::awaitable<expected<std::vector<bytes>>> read_multiple_variable(std::vector<std::uint16_t> handles);
  /// Part G 4.9.3 (Write Request); values longer than ATT_MTU-3 as a
  /// prepared (long) write, 4.9.4.
  asio::awaitable<expected<void>> write(std::uint16_t handle, bytes value);
  /// Part G 4.9.1 (Write Without Response): queued, never answered.
  std::error_code write_without_response(std::uint16_t handle, bytes value);
  /// Part G 4.9.2 (Signed Write Without Response): signed with `key`
  /// (SignCounter = key.counter, then key.counter advances: persist it).
  /// At most ATT_MTU-15 octets.  Meant for an unencrypted link (on an
  /// encrypted one a plain write_without_response() is what 4.9.2 asks).
  std::error_code signed_write(std::uint16_t handle, bytes value, SigningKey& key);
  /// Part G 4.9.5 (Reliable Writes): every value as Prepare Write parts,
  /// each echo compared with what was sent; then Execute Write.  A
  /// mismatched echo or a refused part cancels the queue (Execute Write
  /// with flags 0x00) and returns codec_errc::invalid_value / the error.
  asio::awaitable<expected<void>> reliable_write(std::vector<QueuedWrite> writes);

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

  /// A Service Changed indication arrived (see the design notes above).
  void on_service_changed(std::function<void(std::uint16_t start, std::uint16_t end)> cb) {
    service_changed_ = std::move(cb);
  }
  /// The Service Changed characteristic's value handle when it is known
  /// without discovery (a cache); 0: unknown.
  void set_service_changed_handle(std::uint16_t value_handle) noexcept { service_changed_handle_ = value_handle; }
  [[nodiscard]] std::uint16_t service_changed_handle() const noexcept { return service_changed_handle_; }

  [[nodiscard]] std::uint16_t mtu() const noexcept { return bearer_->state().mtu; }
  [[nodiscard]] AttBearer& bearer() noexcept { return *bearer_; }

  // ClientRole
  void on_notification(std::uint16_t handle, byte_span value) override;
  void on_indication(std::uint16_t handle, byte_span value) override;
  void on_bearer_closed(std::error_code why) override { closed_why_ = why; }

 private:
  /// One request and its decoded answer: the expected response, or the
  /// Error Response turned into an error_code.
  /// One request and its decoded answer: the expected response, or the
  /// Error Response turned into an error_code; on a security refusal the
  /// link is raised and the request sent once more.
  asio::awaitable<expected<Pdu>> transact(const Pdu& request);
  /// The request once, no retry.
  asio::awaitable<expected<Pdu>> transact_once(const bytes& request);
  /// Raises the link for `refusal`; false when there is nothing to raise.
  asio::awaitable<bool> raise_for(std::error_code refusal);

  // One run of each discovery procedure (the public ones rerun it once
  // when a Service Changed overlapping its range arrives).
  asio::awaitable<expected<std::vector<ServiceInfo>>> services_once(std::optional<Uuid> uuid);
  asio::awaitable<expected<std::vector<IncludedServiceInfo>>> included_once(std::uint16_t start, std::uint16_t end);
  asio::awaitable<expected<std::vector<CharacteristicInfo>>> characteristics_once(std::uint16_t start,
                                                                                  std::uint16_t end);
  asio::awaitable<expected<std::vector<DescriptorInfo>>> descriptors_once(std::uint16_t start, std::uint16_t end);
  template <class T, class Once>
  asio::awaitable<expected<T>> rerun_on_change(std::uint16_t start, std::uint16_t end, Once once);
  /// Did a Service Changed overlapping [start, end] arrive since `since`
  /// (a value of changes_.size())?
  /// Notes the Service Changed value handle among discovered characteristics.
  void learn(const std::vector<CharacteristicInfo>& chars);
  [[nodiscard]] bool changed_since(std::size_t since, std::uint16_t start, std::uint16_t end) const;
  /// Read By Type paged over [start, end] until Attribute Not Found.
  asio::awaitable<expected<std::vector<ReadByTypeRsp::Entry>>> read_by_type_all(std::uint16_t start, std::uint16_t end,
                                                                                Uuid type);
  /// Read Blob from `offset` on until the value ends, appended to `value`.
  asio::awaitable<expected<void>> read_rest(std::uint16_t handle, bytes& value, std::size_t part);
  /// Prepare Write of each (handle, offset, part), echo checked, then
  /// Execute Write (or cancel on the first failure).
  asio::awaitable<expected<void>> prepare_and_execute(std::vector<PreparedWrite> parts);
  void deliver(std::uint16_t handle, byte_span value, bool indication);
  void drop(std::uint16_t handle, std::uint64_t id);

  std::shared_ptr<AttBearer> bearer_;
  std::multimap<std::uint16_t, std::pair<std::uint64_t, ValueHandler>> handlers_;
  std::uint64_t next_id_ = 1;
  std::function<void(std::uint16_t, byte_span, bool)> any_;
  std::function<void(std::uint16_t, std::uint16_t)> service_changed_;
  std::uint16_t service_changed_handle_ = 0;
  /// Every Service Changed range received, in order (rare: a few per link).
  std::vector<std::pair<std::uint16_t, std::uint16_t>> changes_;
  std::optional<std::error_code> closed_why_;
  std::shared_ptr<GattClient*> self_ = std::make_shared<GattClient*>(this);
};

}  // namespace bcms::att
