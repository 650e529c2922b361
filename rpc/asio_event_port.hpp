// The kj/asio bridge: Cap'n Proto's event loop driven by the daemon's
// asio::io_context, on the daemon's one thread.
//
// Choice (README "Architecture"): ONE thread.  kj's EventLoop runs inside
// asio handlers; kj never blocks in its own poll(2):
//   - kj -> asio: when kj's queue becomes runnable (EventPort::setRunnable),
//     one handler is posted that runs loop.run() until the queue is empty;
//   - timers: kj::Timer promises are kept by a kj::TimerImpl whose next
//     deadline arms one asio::steady_timer; when it fires, the TimerImpl
//     advances to now and the loop runs;
//   - I/O: no kj::setupAsyncIo (its UnixEventPort would want to own the
//     thread's poll).  asio sockets are wrapped as kj::AsyncIoStream
//     (AsioStream below): reads and writes are non-blocking syscalls on the
//     asio socket, waiting for readiness with asio's async_wait.
// So daemon state is only ever touched on the asio thread, and an asio
// coroutine can complete a kj promise (a kj::PromiseFulfiller) directly.
//
// wait()/poll() (kj's own blocking Promise::wait, for programs such as the
// CLI and tests that wait on a kj promise) run asio handlers: run_one() and
// poll().  Code running inside an asio handler never calls Promise::wait().
#pragma once

#include <asio/io_context.hpp>
#include <asio/steady_timer.hpp>
#include <kj/async.h>
#include <kj/timer.h>

#include <memory>

namespace bcms::rpc {

class AsioEventPort final : public kj::EventPort {
 public:
  explicit AsioEventPort(asio::io_context& io);
  ~AsioEventPort();
  AsioEventPort(const AsioEventPort&) = delete;
  AsioEventPort& operator=(const AsioEventPort&) = delete;

  [[nodiscard]] asio::io_context& io() noexcept { return io_; }
  /// kj's loop on this thread (current while the port exists).
  [[nodiscard]] kj::EventLoop& loop() noexcept { return loop_; }
  /// For Promise::wait() outside asio handlers (tests, the CLI).
  [[nodiscard]] kj::WaitScope& wait_scope() noexcept { return wait_scope_; }
  /// kj timers driven by an asio::steady_timer.
  [[nodiscard]] kj::Timer& timer() noexcept { return timer_; }

  // kj::EventPort
  bool wait() override;
  bool poll() override;
  void setRunnable(bool runnable) override;

 private:
  class Timer final : public kj::Timer {
   public:
    explicit Timer(AsioEventPort& port);
    kj::TimePoint now() const override;
    kj::Promise<void> atTime(kj::TimePoint time) override;
    kj::Promise<void> afterDelay(kj::Duration delay) override;
    kj::TimerImpl impl;

   private:
    AsioEventPort& port_;
  };

  void schedule_run();
  void run_loop();
  void advance_timers();
  void arm_timer();

  asio::io_context& io_;
  asio::steady_timer steady_;
  kj::Maybe<kj::TimePoint> armed_at_;
  Timer timer_;
  kj::EventLoop loop_;
  kj::WaitScope wait_scope_;
  bool run_posted_ = false;
  // Handlers posted to asio hold this; the port's destructor clears it.
  std::shared_ptr<AsioEventPort*> self_;
};

}  // namespace bcms::rpc
