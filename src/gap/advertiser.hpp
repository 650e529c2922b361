// Advertiser: LE advertising through the kernel's advertising instances
// (mgmt "Add Advertising", "Remove Advertising", "Read Advertising
// Features", "Get Advertising Size Information"; mgmt-api.txt).
//
// Design overview
//  * An Advertisement says what to advertise (name, service UUIDs,
//    appearance, manufacturer data, service data, TX power) and how
//    (connectable, discoverable, scan response, duration, timeout).  The
//    kernel owns the Flags AD structure (Add Advertising flag 1/2 makes it
//    add "LE General/Limited Discoverable"), so our data never has one.
//  * Limits come from the controller, per instance and flag set: Get
//    Advertising Size Information answers the Max_Adv_Data_Len and
//    Max_Scan_Rsp_Len left after what the kernel adds for those flags
//    (3 octets for Flags, 3 for TX Power, ...).  AdBuilder::split() fills
//    the advertising data and moves what does not fit into the scan
//    response (when allowed); a payload that fits neither fails with
//    errc::adv_data_too_long and a message naming the field, e.g.
//    "manufacturer does not fit: needs 42 octets, 22 left".
//  * Several instances: the kernel rotates them (Duration, default 2 s);
//    instance numbers are checked against Max_Instances and flags against
//    Supported_Flags before anything is sent.
//  * Timeout: the kernel removes an instance whose timeout passed
//    (Advertising Removed event); we then mark it inactive.
//  * Re-advertising: when an Advertisement asks for it, every Device
//    Disconnected event on our controller re-sends its Add Advertising
//    (the same bytes), which restarts an expired or stopped instance.
//  * Runs on the channel's executor; subscriptions are RAII (dropped with
//    the Advertiser).
#pragma once

#include <asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "protocol/ad/builder.hpp"
#include "src/mgmt/channel.hpp"

namespace bcms::gap {

enum class Discoverable : std::uint8_t { none, general, limited };

struct Advertisement {
  std::uint8_t instance = 1;  // 1..Max_Instances
  // --- payload (AD structures, CSS Part A 1)
  std::string name{};  // Local Name; shortened (type 0x08) when it does not fit
  std::vector<std::uint16_t> uuid16{};
  std::vector<ad::Uuid128> uuid128{};  // wire (little-endian) order
  std::optional<std::uint16_t> appearance{};
  std::optional<std::int8_t> tx_power{};  // a TX Power Level value we know
  bool kernel_tx_power = false;         // let the kernel add it (flag 4)
  std::vector<std::pair<std::uint16_t, bytes>> manufacturer{};  // company id, data
  std::vector<std::pair<std::uint16_t, bytes>> service_data{};  // 16-bit UUID, data
  // --- behaviour
  bool connectable = true;
  Discoverable discoverable = Discoverable::general;
  bool scan_response = true;     // what does not fit may go to the scan response
  std::uint16_t duration_s = 0;  // slot in the rotation of several instances (0: 2 s)
  std::uint16_t timeout_s = 0;   // lifetime (0: until removed)
  bool readvertise_on_disconnect = true;
  std::uint32_t extra_flags = 0;  // e.g. mgmt::adv_flag::secondary_channel_1m
};

/// A failure with its explanation (BuildError::message() for a payload
/// that does not fit, the command that failed otherwise).
struct AdvError {
  std::error_code code{};
  std::string detail{};
};

/// The Add Advertising flags an Advertisement maps to.
std::uint32_t mgmt_flags(const Advertisement& a);
/// The payload for the given limits: advertising data, scan response.
expected<ad::AdSplit, AdvError> build_payload(const Advertisement& a, std::size_t max_adv,
                                              std::size_t max_scan_rsp);

struct AdvertisingFeatures {
  std::uint32_t supported_flags = 0;
  std::uint8_t max_adv_data_len = 0;
  std::uint8_t max_scan_rsp_len = 0;
  std::uint8_t max_instances = 0;
  std::vector<std::uint8_t> instances{};  // currently configured (by anyone)
};

class Advertiser {
 public:
  Advertiser(mgmt::MgmtChannel& ch, std::uint16_t index);
  ~Advertiser();
  Advertiser(const Advertiser&) = delete;
  Advertiser& operator=(const Advertiser&) = delete;

  /// Read Advertising Features (re-read on every call).
  asio::awaitable<expected<AdvertisingFeatures>> read_features();
  /// Adds (or replaces) an instance: features (first time), size
  /// information for its flags, payload split, Add Advertising.
  asio::awaitable<expected<void, AdvError>> add(const Advertisement& adv);
  /// Remove Advertising of one of our instances (0: all of ours).
  asio::awaitable<std::error_code> remove(std::uint8_t instance);

  [[nodiscard]] const std::optional<AdvertisingFeatures>& features() const noexcept { return features_; }
  /// Instances we added and the kernel still holds.
  [[nodiscard]] std::vector<std::uint8_t> active() const;
  /// The exact Add Advertising parameters last sent for an instance.
  [[nodiscard]] std::optional<bytes> last_command(std::uint8_t instance) const;

  /// Called when a re-advertise after a disconnect fails.
  void on_error(std::function<void(std::uint8_t instance, std::error_code)> cb) { on_error_ = std::move(cb); }

  struct Stats {
    std::uint64_t added = 0;
    std::uint64_t readvertised = 0;
    std::uint64_t expired = 0;  // removed by the kernel (timeout)
  };
  [[nodiscard]] const Stats& stats() const noexcept { return stats_; }

 private:
  struct Instance {
    Advertisement adv;
    bytes params;  // Add Advertising parameters
    bool active = false;
  };
  void on_disconnected();
  void on_removed(std::uint8_t instance);

  mgmt::MgmtChannel& ch_;
  std::uint16_t index_;
  std::optional<AdvertisingFeatures> features_;
  std::map<std::uint8_t, Instance> instances_;
  Stats stats_;
  std::function<void(std::uint8_t, std::error_code)> on_error_;
  std::vector<mgmt::Subscription> subs_;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace bcms::gap
