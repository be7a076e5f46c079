// chaos_tcp_proxy: a TCP forwarder the chaos suite puts between bourse and the Kafka
// broker (the broker's advertised listener points at it), so that the line can be cut
// and healed without touching anything else on the machine.
//
//   chaos_tcp_proxy LISTEN_PORT TARGET_PORT      (both on 127.0.0.1; runs until SIGTERM)
//   kill -USR1 <pid>   cut: every open connection is reset, new ones are closed at once
//   kill -USR2 <pid>   heal: new connections are forwarded again
//
// One thread per direction per connection (a handful of connections: librdkafka opens
// one or two per broker per client). Prints "proxy: ready" once listening.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

namespace {

std::atomic<bool> cut{false};
std::atomic<bool> stopping{false};
std::mutex open_mutex;
std::set<int> open_sockets;  // guarded by open_mutex

void on_signal(int number) {
  if (number == SIGUSR1) cut = true;
  if (number == SIGUSR2) cut = false;
  if (number == SIGTERM || number == SIGINT) stopping = true;
}

// Closes with RST (linger 0), as a broken line looks to both ends.
void reset(int fd) {
  linger hard{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
  ::shutdown(fd, SHUT_RDWR);
}

void pump(int from, int to) {
  char buffer[64 * 1024];
  while (!stopping && !cut) {
    pollfd ready{from, POLLIN, 0};
    const int polled = ::poll(&ready, 1, 100);
    if (polled < 0 && errno != EINTR) break;
    if (polled <= 0) continue;
    const ssize_t got = ::read(from, buffer, sizeof buffer);
    if (got <= 0) break;
    ssize_t sent = 0;
    while (sent < got) {
      const ssize_t n = ::write(to, buffer + sent, static_cast<size_t>(got - sent));
      if (n <= 0) return;
      sent += n;
    }
  }
}

void forward(int client, int target_port) {
  const int upstream = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(target_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(upstream, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    reset(client);
    ::close(client);
    ::close(upstream);
    return;
  }
  const int one = 1;
  ::setsockopt(upstream, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ::setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  {
    std::lock_guard lock(open_mutex);
    open_sockets.insert(client);
    open_sockets.insert(upstream);
  }
  std::thread back([client, upstream] { pump(upstream, client); ::shutdown(client, SHUT_WR); });
  pump(client, upstream);
  ::shutdown(upstream, SHUT_WR);
  back.join();
  if (cut) {
    reset(client);
    reset(upstream);
  }
  {
    std::lock_guard lock(open_mutex);
    open_sockets.erase(client);
    open_sockets.erase(upstream);
  }
  ::close(client);
  ::close(upstream);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: chaos_tcp_proxy LISTEN_PORT TARGET_PORT\n");
    return 2;
  }
  const int listen_port = std::atoi(argv[1]);
  const int target_port = std::atoi(argv[2]);
  struct sigaction action {};
  action.sa_handler = on_signal;
  for (int number : {SIGUSR1, SIGUSR2, SIGTERM, SIGINT}) ::sigaction(number, &action, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  const int one = 1;
  ::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(listen_port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 128) != 0) {
    std::fprintf(stderr, "proxy: cannot listen on %d: %s\n", listen_port, std::strerror(errno));
    return 1;
  }
  std::printf("proxy: ready %d -> %d\n", listen_port, target_port);
  std::fflush(stdout);
  bool was_cut = false;
  while (!stopping) {
    if (cut && !was_cut) {
      std::lock_guard lock(open_mutex);
      for (int fd : open_sockets) reset(fd);
      std::printf("proxy: cut (%zu sockets reset)\n", open_sockets.size());
      std::fflush(stdout);
    } else if (!cut && was_cut) {
      std::printf("proxy: healed\n");
      std::fflush(stdout);
    }
    was_cut = cut;
    pollfd ready{listener, POLLIN, 0};
    if (::poll(&ready, 1, 100) <= 0) continue;
    const int client = ::accept(listener, nullptr, nullptr);
    if (client < 0) continue;
    if (cut) {
      reset(client);
      ::close(client);
      continue;
    }
    std::thread(forward, client, target_port).detach();
  }
  return 0;
}
