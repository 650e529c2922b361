#include "rpc/asio_event_port.hpp"

#include <asio/post.hpp>

#include <chrono>

namespace bcms::rpc {

namespace {
kj::TimePoint monotonic_now() { return kj::systemPreciseMonotonicClock().now(); }
}  // namespace

AsioEventPort::Timer::Timer(AsioEventPort& port) : impl(monotonic_now()), port_(port) {}

kj::TimePoint AsioEventPort::Timer::now() const { return impl.now(); }

kj::Promise<void> AsioEventPort::Timer::atTime(kj::TimePoint time) {
  auto p = impl.atTime(time);
  port_.arm_timer();
  return p;
}

kj::Promise<void> AsioEventPort::Timer::afterDelay(kj::Duration delay) {
  // Relative to the real now, not to the last advanceTo().
  return atTime(monotonic_now() + delay);
}

AsioEventPort::AsioEventPort(asio::io_context& io)
    : io_(io), steady_(io), timer_(*this), loop_(*this), wait_scope_(loop_),
      self_(std::make_shared<AsioEventPort*>(this)) {}

AsioEventPort::~AsioEventPort() { *self_ = nullptr; }

void AsioEventPort::setRunnable(bool runnable) {
  if (runnable) schedule_run();
}

void AsioEventPort::schedule_run() {
  if (run_posted_) return;
  run_posted_ = true;
  asio::post(io_, [self = self_] {
    if (AsioEventPort* port = *self) {
      port->run_posted_ = false;
      port->run_loop();
    }
  });
}

void AsioEventPort::run_loop() {
  advance_timers();
  // Always run, even when the queue is empty: kj reports only empty ->
  // runnable transitions (setRunnable), and run() ends by telling the port
  // the loop's state again.  A handler that skipped an empty loop (a
  // Promise::wait() had turned it) would leave kj believing the port knows
  // it is runnable, and work queued later would wait forever.  When this
  // handler runs inside a Promise::wait() (EventPort::wait() below), the
  // turns are the ones the wait would have made.
  loop_.run();
  arm_timer();
}

void AsioEventPort::advance_timers() { timer_.impl.advanceTo(monotonic_now()); }

void AsioEventPort::arm_timer() {
  KJ_IF_MAYBE (next, timer_.impl.nextEvent()) {
    KJ_IF_MAYBE (armed, armed_at_) {
      if (*armed <= *next) return;  // an earlier (or the same) wake-up is pending
    }
    armed_at_ = *next;
    auto delay = *next - monotonic_now();
    steady_.expires_after(std::chrono::nanoseconds(delay / kj::NANOSECONDS));
    steady_.async_wait([self = self_](std::error_code ec) {
      if (ec == asio::error::operation_aborted) return;
      if (AsioEventPort* port = *self) {
        port->armed_at_ = nullptr;
        port->run_loop();
      }
    });
  } else {
    armed_at_ = nullptr;
    steady_.cancel();
  }
}

bool AsioEventPort::wait() {
  // kj's Promise::wait() found its queue empty: run one asio handler (it
  // may be the one that completes what kj waits for).
  advance_timers();
  if (io_.stopped()) io_.restart();
  io_.run_one();
  advance_timers();
  return false;
}

bool AsioEventPort::poll() {
  advance_timers();
  if (io_.stopped()) io_.restart();
  io_.poll();
  advance_timers();
  return false;
}

}  // namespace bcms::rpc
