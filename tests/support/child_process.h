// Runs another program (usually the bourse executable) for a process-level test.
//
// The child gets the test's environment plus `extra_env`, its stdout and stderr go to
// `log_path`, and it is killed (SIGKILL) if still running when the ChildProcess is
// destroyed, so a failing test never leaves a server behind.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

extern char** environ;

namespace bourse::testing {

class ChildProcess {
 public:
  ChildProcess(const std::string& program, const std::vector<std::string>& args,
               const std::map<std::string, std::string>& extra_env, std::string log_path)
      : log_path_(std::move(log_path)) {
    std::vector<std::string> env_strings;
    std::map<std::string, std::string> merged;
    for (char** entry = environ; *entry != nullptr; ++entry) {
      std::string text(*entry);
      auto eq = text.find('=');
      if (eq != std::string::npos) merged[text.substr(0, eq)] = text.substr(eq + 1);
    }
    for (const auto& [key, value] : extra_env) merged[key] = value;
    for (const auto& [key, value] : merged) env_strings.push_back(key + "=" + value);

    pid_ = ::fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      // Die with the test: a crashed or leaked test must never leave a server behind.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (fd >= 0) {
        ::dup2(fd, STDOUT_FILENO);
        ::dup2(fd, STDERR_FILENO);
        ::close(fd);
      }
      std::vector<char*> argv;
      argv.push_back(const_cast<char*>(program.c_str()));
      for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
      argv.push_back(nullptr);
      std::vector<char*> envp;
      for (auto& entry : env_strings) envp.push_back(entry.data());
      envp.push_back(nullptr);
      ::execve(program.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
  }
  ~ChildProcess() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
  }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const { return pid_; }
  void signal(int signal_number) { ::kill(pid_, signal_number); }

  // The exit code, or -1 if it did not exit within `timeout` (it keeps running), or
  // 128 + signal if a signal ended it.
  int wait(std::chrono::milliseconds timeout) {
    if (exited_) return exit_code_;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    // Polls at least once, so wait(0) (and running()) see an exit that already happened.
    while (true) {
      int status = 0;
      pid_t done = ::waitpid(pid_, &status, WNOHANG);
      if (done == pid_) {
        exited_ = true;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        return exit_code_;
      }
      if (std::chrono::steady_clock::now() >= deadline) return -1;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  bool running() {
    if (exited_) return false;
    return wait(std::chrono::milliseconds(0)) == -1;
  }

  std::string log() const {
    std::ifstream in(log_path_);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
  }

 private:
  std::string log_path_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago (bind to 0, read, close).
inline int free_local_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace bourse::testing
