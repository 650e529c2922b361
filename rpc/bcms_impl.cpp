#include "rpc/bcms_impl.hpp"

#include <asio/co_spawn.hpp>
#include <kj/debug.h>

#include <chrono>
#include <exception>
#include <string>

#include "src/daemon/service.hpp"

namespace bcms::rpc {

namespace {

using daemon::Error;

std::int64_t epoch_ms(daemon::Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::string text_of(std::exception_ptr e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "unknown exception";
  }
}

/// Runs a service coroutine on the asio loop; when it completes, `fill`
/// writes its result into the call's results and the kj promise resolves
/// (or fails with the text of what the coroutine threw).  If the call was
/// cancelled meanwhile (the client went away), its results are gone:
/// nothing is filled.  The result itself never travels in a kj promise
/// (GCC 12 at -O2 warns, wrongly, that kj::ExceptionOr<expected<...>>
/// may be used uninitialized).
template <class T, class Fill>
kj::Promise<void> await_service(asio::io_context& io, asio::awaitable<T> call, Fill fill) {
  auto paf = kj::newPromiseAndFulfiller<void>();
  asio::co_spawn(io, std::move(call),
                 [f = kj::mv(paf.fulfiller), fill = std::move(fill)](std::exception_ptr e, T value) mutable {
                   if (!f->isWaiting()) return;
                   if (e) return f->reject(KJ_EXCEPTION(FAILED, text_of(e).c_str()));
                   KJ_IF_MAYBE (failure, kj::runCatchingExceptions([&] { fill(value); })) {
                     return f->reject(kj::mv(*failure));
                   }
                   f->fulfill();
                 });
  return kj::mv(paf.promise);
}

template <class Results>
void set_errors(Results results, const Error& error) {
  auto list = results.initErrors(1);
  list.set(0, error.text.c_str());
}

/// status/errors methods of the original: true and no errors, or false
/// and the error's text.
template <class Results>
void set_status(Results results, const expected<void, Error>& r) {
  results.setStatus(r.has_value());
  if (!r) set_errors(results, r.error());
  else results.initErrors(0);
}

BCMSWorkingMode to_capnp(daemon::Mode m) {
  return m == daemon::Mode::any ? BCMSWorkingMode::ANY : BCMSWorkingMode::APPROVED;
}

void fill(BCMSDeviceInfo::Builder b, const daemon::DeviceInfo& d) {
  b.setAddress(d.address.c_str());
  b.setName(d.name.c_str());
  b.setApproved(d.approved);
  b.setPaired(d.paired);
}

void fill(BCMSReading::Builder b, const daemon::DeviceReading& d) {
  b.setDataType(std::string(d.reading.type).c_str());
  b.setField(std::string(d.reading.field).c_str());
  b.setValue(d.reading.value);
  b.setUnit(std::string(d.reading.unit).c_str());
  b.setText(d.reading.text.c_str());
  b.setTimestamp(epoch_ms(d.at));
}

void fill(BCMSDevice::Builder b, const daemon::DeviceInfo& d) {
  fill(b.initInfo(), d);
  b.setAddressType(std::string(to_string(d.address_type)).c_str());
  b.setHasRssi(d.rssi.has_value());
  b.setRssi(d.rssi.value_or(0));
  b.setLastSeen(d.last_seen ? epoch_ms(*d.last_seen) : 0);
  b.setAdvIntervalMs(d.adv_interval ? static_cast<std::uint32_t>(d.adv_interval->count()) : 0);
  b.setCurrentAddress(d.current_address.value_or("").c_str());
  b.setRegistrationId(d.registration_id.value_or("").c_str());
  b.setReports(d.reports);
}

/// Words a device list takes in a message (struct, pointers, the texts),
/// so the answer is built in one segment instead of growing one.
capnp::MessageSize device_list_size(const expected<std::vector<daemon::DeviceInfo>, Error>& r, unsigned struct_words) {
  std::uint64_t words = 16;
  if (r)
    for (const auto& d : *r)
      words += struct_words + (d.address.size() + 8) / 8 + (d.name.size() + 8) / 8 +
               (d.current_address ? d.current_address->size() / 8 + 1 : 0) +
               (d.registration_id ? d.registration_id->size() / 8 + 1 : 0) + 4;
  return {words, 0};
}

/// (list, errors) results: the list filled by fill(), or the error's text.
template <class Results, class T, class Init>
void set_list(Results results, const expected<std::vector<T>, Error>& r, Init init) {
  if (!r) return set_errors(results, r.error());
  results.initErrors(0);
  auto list = init(results, static_cast<unsigned>(r->size()));
  for (unsigned i = 0; i < r->size(); ++i) fill(list[i], (*r)[i]);
}

// ---------------------------------------------------------------- events

class SubscriptionImpl final : public BCMSSubscription::Server, private kj::TaskSet::ErrorHandler {
 public:
  SubscriptionImpl(daemon::Service& service, BCMSEventCallback::Client callback)
      : callback_(kj::mv(callback)), tasks_(*this) {
    sub_ = service.subscribe([this](const daemon::Event& ev) { send(ev); });
  }

 private:
  void send(const daemon::Event& ev) {
    if (in_flight_ >= max_events_in_flight) {
      ++dropped_;
      return;
    }
    auto req = callback_.eventRequest();
    auto e = req.initEvent();
    e.setKind(std::string(daemon::to_string(ev.kind)).c_str());
    e.setAddress(ev.address.c_str());
    e.setText(ev.text.c_str());
    e.setTimestamp(epoch_ms(ev.at));
    ++in_flight_;
    tasks_.add(req.send().ignoreResult().then([this] { --in_flight_; }));
  }
  // The subscriber is gone or refused an event: no more events.
  void taskFailed(kj::Exception&&) override { sub_.reset(); }

  BCMSEventCallback::Client callback_;
  daemon::EventSubscription sub_;
  kj::TaskSet tasks_;
  unsigned in_flight_ = 0;
  std::uint64_t dropped_ = 0;
};

// ---------------------------------------------------------------- gateway

class GatewayImpl final : public BCMSGateway::Server {
 public:
  GatewayImpl(daemon::Service& service, asio::io_context& io) : service_(service), io_(io) {}

 protected:
  kj::Promise<void> subscribe(SubscribeContext ctx) override {
    auto callback = ctx.getParams().getCallback();
    ctx.getResults().setSubscription(kj::heap<SubscriptionImpl>(service_, kj::mv(callback)));
    return kj::READY_NOW;
  }

  kj::Promise<void> readings(ReadingsContext ctx) override {
    auto params = ctx.getParams();
    return await_service(io_, service_.readings(params.getAddress().cStr(), params.getLimit()),
        [ctx](expected<std::vector<daemon::DeviceReading>, Error>& r) mutable {
          set_list(ctx.getResults(), r, [](auto res, unsigned n) { return res.initReadings(n); });
        });
  }

  kj::Promise<void> status(StatusContext ctx) override {
    return await_service(io_, service_.status(), [ctx](daemon::ControllerStatus& s) mutable {
      auto b = ctx.getResults().initStatus();
      b.setPresent(s.present);
      b.setIndex(s.index);
      b.setAddress(s.address.c_str());
      b.setName(s.name.c_str());
      b.setPowered(s.powered);
      b.setDiscovering(s.discovering);
      b.setMode(to_capnp(s.mode));
      b.setDevicesTracked(static_cast<std::uint32_t>(s.devices_tracked));
      b.setDevicesApproved(static_cast<std::uint32_t>(s.devices_approved));
      b.setDevicesPaired(static_cast<std::uint32_t>(s.devices_paired));
      b.setSubmission(s.submission.c_str());
    });
  }

  kj::Promise<void> diagnostics(DiagnosticsContext ctx) override {
    return await_service(io_, service_.diagnostics(), [ctx](daemon::Diagnostics& d) mutable {
      auto list = ctx.getResults().initCounters(static_cast<unsigned>(d.counters.size()));
      for (unsigned i = 0; i < d.counters.size(); ++i) {
        list[i].setName(d.counters[i].first.c_str());
        list[i].setValue(d.counters[i].second);
      }
    });
  }

  kj::Promise<void> devices(DevicesContext ctx) override {
    return await_service(io_, service_.list(ctx.getParams().getOnlyApproved()),
        [ctx](expected<std::vector<daemon::DeviceInfo>, Error>& r) mutable {
          set_list(ctx.initResults(device_list_size(r, 10)), r, [](auto res, unsigned n) { return res.initDevices(n); });
        });
  }

 private:
  daemon::Service& service_;
  asio::io_context& io_;
};

// ---------------------------------------------------------------- BCMS

class BcmsImpl final : public BCMS::Server {
 public:
  BcmsImpl(daemon::Service& service, asio::io_context& io) : service_(service), io_(io) {}

 protected:
  kj::Promise<void> list(ListContext ctx) override {
    return await_service(io_, service_.list(ctx.getParams().getOnlyApproved()),
        [ctx](expected<std::vector<daemon::DeviceInfo>, Error>& r) mutable {
          set_list(ctx.initResults(device_list_size(r, 3)), r, [](auto res, unsigned n) { return res.initDevices(n); });
        });
  }
  kj::Promise<void> approve(ApproveContext ctx) override {
    return status_call(ctx, service_.approve(ctx.getParams().getAddress().cStr()));
  }
  kj::Promise<void> remove(RemoveContext ctx) override {
    return status_call(ctx, service_.remove(ctx.getParams().getAddress().cStr()));
  }
  kj::Promise<void> mode(ModeContext ctx) override {
    return await_service(io_, service_.mode(), [ctx](daemon::Mode& m) mutable {
      ctx.getResults().setMode(to_capnp(m));
    });
  }
  kj::Promise<void> setMode(SetModeContext ctx) override {
    auto m = ctx.getParams().getMode() == BCMSWorkingMode::ANY ? daemon::Mode::any : daemon::Mode::approved;
    return status_call(ctx, service_.set_mode(m));
  }
  kj::Promise<void> pair(PairContext ctx) override {
    return status_call(ctx, service_.pair(ctx.getParams().getAddress().cStr()));
  }
  kj::Promise<void> unpair(UnpairContext ctx) override {
    return status_call(ctx, service_.unpair(ctx.getParams().getAddress().cStr()));
  }
  kj::Promise<void> isPaired(IsPairedContext ctx) override {
    return await_service(io_, service_.is_paired(ctx.getParams().getAddress().cStr()),
        [ctx](expected<bool, Error>& r) mutable {
          auto results = ctx.getResults();
          results.setStatus(r.value_or(false));
          if (!r) set_errors(results, r.error());
          else results.initErrors(0);
        });
  }
  kj::Promise<void> gateway(GatewayContext ctx) override {
    ctx.getResults().setGateway(kj::heap<GatewayImpl>(service_, io_));
    return kj::READY_NOW;
  }

 private:
  template <class Context>
  kj::Promise<void> status_call(Context ctx, asio::awaitable<expected<void, Error>> call) {
    return await_service(io_, std::move(call), [ctx](expected<void, Error>& r) mutable {
      set_status(ctx.getResults(), r);
    });
  }

  daemon::Service& service_;
  asio::io_context& io_;
};

}  // namespace

BCMS::Client make_bcms(daemon::Service& service, asio::io_context& io) {
  return kj::heap<BcmsImpl>(service, io);
}

}  // namespace bcms::rpc
