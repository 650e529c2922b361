// Internal: runs asynchronous steps one after another without recursion
// when they complete synchronously (the common case), so a Read By Type
// over a hundred attributes does not grow the stack.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>

namespace bcms::att::detail {

template <class Result>
class Sequence : public std::enable_shared_from_this<Sequence<Result>> {
 public:
  using Done = std::function<void(Result)>;
  using Op = std::function<void(std::size_t, Done)>;
  /// Returns false to stop after this step.
  using Step = std::function<bool(std::size_t, Result&)>;

  /// Runs op(0..n-1) in order; step() sees each result; finish() runs once
  /// at the end.  Nothing runs once `alive` has expired.
  static void run(std::size_t n, std::weak_ptr<int> alive, Op op, Step step, std::function<void()> finish) {
    auto s = std::shared_ptr<Sequence>(new Sequence(n, std::move(alive), std::move(op), std::move(step),
                                                    std::move(finish)));
    s->loop();
  }

 private:
  struct Slot {
    bool inside = true;
    std::optional<Result> result;
  };
  Sequence(std::size_t n, std::weak_ptr<int> alive, Op op, Step step, std::function<void()> finish)
      : n_(n), alive_(std::move(alive)), op_(std::move(op)), step_(std::move(step)), finish_(std::move(finish)) {}

  void loop() {
    auto self = this->shared_from_this();
    while (next_ < n_) {
      const std::size_t i = next_;
      auto slot = std::make_shared<Slot>();
      op_(i, [self, slot, i](Result r) {
        if (slot->inside) {
          slot->result = std::move(r);
          return;
        }
        if (self->alive_.expired()) return;
        if (!self->step_(i, r)) return self->finish_();
        self->next_ = i + 1;
        self->loop();
      });
      slot->inside = false;
      if (!slot->result) return;  // completes later, in the callback
      if (alive_.expired()) return;
      if (!step_(i, *slot->result)) return finish_();
      next_ = i + 1;
    }
    finish_();
  }

  std::size_t n_;
  std::size_t next_ = 0;
  std::weak_ptr<int> alive_;
  Op op_;
  Step step_;
  std::function<void()> finish_;
};

}  // namespace bcms::att::detail
