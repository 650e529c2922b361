// BackendProcess: runs bcms-test-backend (the path in $BCMS_TEST_BACKEND)
// as a child process for a test, on a free loopback port or a given one,
// and kills it (SIGKILL) when destroyed.  The child dies with the test
// (PR_SET_PDEATHSIG) if the test itself crashes.
#pragma once

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace bcms::testing {

class BackendProcess {
 public:
  explicit BackendProcess(std::vector<std::string> args = {}, unsigned port = 0) { start(std::move(args), port); }
  BackendProcess(const BackendProcess&) = delete;
  BackendProcess& operator=(const BackendProcess&) = delete;
  ~BackendProcess() { stop(); }

  [[nodiscard]] unsigned port() const noexcept { return port_; }
  [[nodiscard]] std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  /// Kills the server (the port is closed: connections are refused).
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }
  /// Starts it again on the same port, with empty state.
  void restart() {
    stop();
    start(args_, port_);
  }

 private:
  void start(std::vector<std::string> args, unsigned port) {
    args_ = std::move(args);
    const char* path = std::getenv("BCMS_TEST_BACKEND");
    if (!path) throw std::runtime_error("BCMS_TEST_BACKEND is not set (meson test sets it)");
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe");
    std::vector<std::string> argv{path, "--port", std::to_string(port)};
    argv.insert(argv.end(), args_.begin(), args_.end());
    pid_ = ::fork();
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      ::dup2(fds[1], 1);
      ::close(fds[0]);
      ::close(fds[1]);
      std::vector<char*> cargv;
      for (auto& a : argv) cargv.push_back(a.data());
      cargv.push_back(nullptr);
      ::execv(path, cargv.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    FILE* out = ::fdopen(fds[0], "r");
    unsigned p = 0;
    // Binding the same port again right after a kill can fail briefly.
    const int n = std::fscanf(out, "listening on 127.0.0.1:%u", &p);
    std::fclose(out);
    if (n != 1 || p == 0) {
      stop();
      throw std::runtime_error("bcms-test-backend did not start");
    }
    port_ = p;
  }

  std::vector<std::string> args_;
  pid_t pid_ = -1;
  unsigned port_ = 0;
};

}  // namespace bcms::testing
