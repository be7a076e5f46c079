// handoff_cost_bench: what this machine charges for one thread waking another. An order
// crosses a dozen threads and processes (HTTP I/O thread, committer, MariaDB's connection
// threads, relays, librdkafka, the broker, consumers), and at low and moderate rates each
// crossing wakes a thread that was asleep, so the system's CPU per order follows the number
// of hand-offs (docs/PERFORMANCE.md, "3 Dec, 10:45-11:15"). This bench measures one
// hand-off in isolation, to tell the machine's share from the project's:
//
//   handoff_cost_bench [--server-pid P] [--rounds 3] [--round-trips 20000] [--gap-us 2000]
//
// Two threads of this process bounce one byte over a pair of pipes:
//   same_cpu   both threads pinned to CPU 0, back to back (the wakee never sleeps on an
//              idle CPU: the scheduler switches to it directly);
//   cross_cpu  pinned to CPUs 0 and 1, back to back (every wake-up is an inter-processor
//              interrupt to the other CPU);
//   paced      not pinned, the initiator sleeps --gap-us before each round trip, so both
//              CPUs go idle in between, as on a server at moderate load.
// With --server-pid (the stack's MariaDB, `source .stack/env` for BOURSE_DB_*), one
// connection also sends `DO 1` back to back (db_hot) and paced (db_paced), and the
// server's CPU is read from /proc/P/stat (it must serve nothing else meanwhile); and it
// counts how often the client thread sleeps while reading ONE packet of 8 statements that
// take the server a while each (`DO BENCHMARK(2000, MD5('x'))`, as a transaction's writes
// are sent, db::execute_statements) against one statement doing the same work in all:
// MariaDB sends each statement's result as it finishes, so the client wakes per statement.
// Reports wall and CPU microseconds per round trip (both threads' CPU; for the database,
// the server's), the medians over --rounds, and a final JSON line
// {"bench":"handoff_cost","same_cpu_cpu_us":..,"cross_cpu_cpu_us":..,"paced_cpu_us":..,
//  "same_cpu_wall_us":..,"cross_cpu_wall_us":..,"paced_wall_us":..,
//  "db_hot_server_us":..,"db_paced_server_us":..,"db_batch_client_sleeps":..,
//  "db_single_client_sleeps":..} (db figures null without --server-pid).
#include <mysql.h>
#include <pthread.h>
#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "loadgen/cpu_usage.h"
#include "bench_flags.h"

namespace {

using bourse::bench::median;

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "handoff_cost_bench: %s\n", what.c_str());
  std::exit(1);
}

double clock_seconds(clockid_t clock) {
  timespec now{};
  clock_gettime(clock, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

void pin_to(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (pthread_setaffinity_np(pthread_self(), sizeof(set), &set) != 0) {
    die("cannot pin a thread to CPU " + std::to_string(cpu));
  }
}

void sleep_us(int us) {
  const timespec gap{us / 1'000'000, static_cast<long>(us % 1'000'000) * 1000};
  nanosleep(&gap, nullptr);
}

struct Figures {
  double wall_us = 0;  // per round trip, the gap left out
  double cpu_us = 0;   // per round trip
};

enum class Mode { kSameCpu, kCrossCpu, kPaced };
const char* name(Mode mode) {
  return mode == Mode::kSameCpu ? "same_cpu" : mode == Mode::kCrossCpu ? "cross_cpu" : "paced";
}

void write_byte(int fd) {
  const char byte = 'x';
  if (write(fd, &byte, 1) != 1) die("pipe write failed");
}
void read_byte(int fd) {
  char byte = 0;
  if (read(fd, &byte, 1) != 1) die("pipe read failed");
}

// Both threads' CPU is this process's CPU: nothing else runs in it meanwhile.
Figures bounce(Mode mode, int round_trips, int gap_us) {
  int to_partner[2], to_initiator[2];
  if (pipe(to_partner) != 0 || pipe(to_initiator) != 0) die("pipe failed");
  std::thread partner([&] {
    if (mode == Mode::kSameCpu) pin_to(0);
    if (mode == Mode::kCrossCpu) pin_to(1);
    for (int i = 0; i < round_trips; ++i) {
      read_byte(to_partner[0]);
      write_byte(to_initiator[1]);
    }
  });
  if (mode != Mode::kPaced) pin_to(0);
  const double wall_before = clock_seconds(CLOCK_MONOTONIC);
  const double cpu_before = clock_seconds(CLOCK_PROCESS_CPUTIME_ID);
  double gaps = 0;
  for (int i = 0; i < round_trips; ++i) {
    if (mode == Mode::kPaced) {
      const double slept_from = clock_seconds(CLOCK_MONOTONIC);
      sleep_us(gap_us);
      gaps += clock_seconds(CLOCK_MONOTONIC) - slept_from;
    }
    write_byte(to_partner[1]);
    read_byte(to_initiator[0]);
  }
  const double wall = clock_seconds(CLOCK_MONOTONIC) - wall_before - gaps;
  const double cpu = clock_seconds(CLOCK_PROCESS_CPUTIME_ID) - cpu_before;
  partner.join();
  cpu_set_t all;
  CPU_ZERO(&all);
  for (int cpu_id = 0; cpu_id < CPU_SETSIZE; ++cpu_id) CPU_SET(cpu_id, &all);
  pthread_setaffinity_np(pthread_self(), sizeof(all), &all);
  for (const int fd : {to_partner[0], to_partner[1], to_initiator[0], to_initiator[1]}) close(fd);
  return {wall * 1e6 / round_trips, cpu * 1e6 / round_trips};
}

// `DO 1` round trips on one connection; the server's CPU per statement. The client's
// sleep is left out of the wall time, its own CPU is not counted.
Figures statements(MYSQL* connection, int server_pid, int count, int gap_us) {
  const std::optional<double> server_before = bourse::bench::cpu_seconds(server_pid);
  const double wall_before = clock_seconds(CLOCK_MONOTONIC);
  double gaps = 0;
  for (int i = 0; i < count; ++i) {
    if (gap_us > 0) {
      const double slept_from = clock_seconds(CLOCK_MONOTONIC);
      sleep_us(gap_us);
      gaps += clock_seconds(CLOCK_MONOTONIC) - slept_from;
    }
    if (mysql_real_query(connection, "DO 1", 4) != 0) die(mysql_error(connection));
  }
  const double wall = clock_seconds(CLOCK_MONOTONIC) - wall_before - gaps;
  const std::optional<double> server_after = bourse::bench::cpu_seconds(server_pid);
  if (!server_before || !server_after) die("cannot read /proc/<server-pid>/stat");
  return {wall * 1e6 / count, (*server_after - *server_before) * 1e6 / count};
}

// How often this thread sleeps per round trip of `sql` (one packet, every result read).
double client_sleeps(MYSQL* connection, const std::string& sql, int round_trips) {
  rusage before{}, after{};
  getrusage(RUSAGE_THREAD, &before);
  for (int i = 0; i < round_trips; ++i) {
    if (mysql_real_query(connection, sql.data(), sql.size()) != 0) die(mysql_error(connection));
    for (;;) {
      if (MYSQL_RES* result = mysql_store_result(connection)) mysql_free_result(result);
      const int more = mysql_next_result(connection);
      if (more > 0) die(mysql_error(connection));
      if (more < 0) break;
    }
  }
  getrusage(RUSAGE_THREAD, &after);
  return static_cast<double>(after.ru_nvcsw - before.ru_nvcsw) / round_trips;
}

std::string env_or(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : fallback;
}

}  // namespace

int main(int argc, char** argv) {
  int server_pid = 0, rounds = 3, round_trips = 20'000, gap_us = 2'000;
  if (!bourse::bench::parse_int_flags(
          "handoff_cost_bench", argc, argv,
          {{"--server-pid", &server_pid},
           {"--rounds", &rounds},
           {"--round-trips", &round_trips},
           {"--gap-us", &gap_us}})) {
    return 2;
  }
  if (server_pid < 0 || rounds < 1 || rounds > 20 || round_trips < 100 ||
      round_trips > 10'000'000 || gap_us < 1 || gap_us > 100'000) {
    std::fprintf(stderr, "usage: handoff_cost_bench [--server-pid P] [--rounds 1..20] "
                         "[--round-trips 100..10000000] [--gap-us 1..100000]\n");
    return 2;
  }
  if (std::thread::hardware_concurrency() < 2) die("needs two CPUs (cross_cpu pins to CPU 1)");
  // Paced runs take round_trips x gap: a tenth of the round trips keeps them short.
  const int paced_round_trips = std::max(100, round_trips / 10);

  MYSQL* connection = nullptr;
  if (server_pid > 0) {
    connection = mysql_init(nullptr);
    const std::string host = env_or("BOURSE_DB_HOST", "127.0.0.1");
    const std::string user = env_or("BOURSE_DB_USER", "bourse");
    const std::string password = env_or("BOURSE_DB_PASSWORD", "");
    const int port = std::atoi(env_or("BOURSE_DB_PORT", "3306").c_str());
    if (mysql_real_connect(connection, host.c_str(), user.c_str(), password.c_str(), nullptr,
                           static_cast<unsigned>(port), nullptr,
                           CLIENT_MULTI_STATEMENTS) == nullptr) {
      die(mysql_error(connection));
    }
  }

  std::vector<double> cpu[3], wall[3], db_hot, db_paced, batch_sleeps, single_sleeps;
  std::string batch;
  for (int i = 0; i < 8; ++i) batch += "DO BENCHMARK(2000, MD5('x'));";
  const std::string single = "DO BENCHMARK(16000, MD5('x'))";
  const int batch_round_trips = std::max(50, round_trips / 40);
  for (int round = 1; round <= rounds; ++round) {
    for (const Mode mode : {Mode::kSameCpu, Mode::kCrossCpu, Mode::kPaced}) {
      const Figures figures =
          bounce(mode, mode == Mode::kPaced ? paced_round_trips : round_trips, gap_us);
      cpu[static_cast<int>(mode)].push_back(figures.cpu_us);
      wall[static_cast<int>(mode)].push_back(figures.wall_us);
      std::printf("round %d %-9s  wall %7.2f us, CPU %6.2f us per round trip\n", round,
                  name(mode), figures.wall_us, figures.cpu_us);
    }
    if (connection != nullptr) {
      const Figures hot = statements(connection, server_pid, round_trips, 0);
      const Figures paced = statements(connection, server_pid, paced_round_trips, gap_us);
      batch_sleeps.push_back(client_sleeps(connection, batch, batch_round_trips));
      single_sleeps.push_back(client_sleeps(connection, single, batch_round_trips));
      std::printf("round %d client sleeps per round trip: 8 statements %.2f, 1 statement of "
                  "the same work %.2f\n",
                  round, batch_sleeps.back(), single_sleeps.back());
      db_hot.push_back(hot.cpu_us);
      db_paced.push_back(paced.cpu_us);
      std::printf("round %d db_hot     wall %7.2f us, server CPU %6.2f us per statement\n",
                  round, hot.wall_us, hot.cpu_us);
      std::printf("round %d db_paced   wall %7.2f us, server CPU %6.2f us per statement\n",
                  round, paced.wall_us, paced.cpu_us);
    }
  }
  if (connection != nullptr) mysql_close(connection);

  std::printf("medians, us per round trip (CPU / wall): same_cpu %.2f / %.2f, cross_cpu "
              "%.2f / %.2f, paced (gap %d us) %.2f / %.2f\n",
              median(cpu[0]), median(wall[0]), median(cpu[1]), median(wall[1]), gap_us,
              median(cpu[2]), median(wall[2]));
  std::string db_json =
      "\"db_hot_server_us\":null,\"db_paced_server_us\":null,\"db_batch_client_sleeps\":null,"
      "\"db_single_client_sleeps\":null";
  if (!db_hot.empty()) {
    std::printf("medians, MariaDB server CPU per `DO 1`: back to back %.2f us, paced %.2f us\n",
                median(db_hot), median(db_paced));
    std::printf("medians, client sleeps per round trip: 8 statements %.2f, 1 statement %.2f\n",
                median(batch_sleeps), median(single_sleeps));
    char buffer[256];
    std::snprintf(buffer, sizeof(buffer),
                  "\"db_hot_server_us\":%.2f,\"db_paced_server_us\":%.2f,"
                  "\"db_batch_client_sleeps\":%.2f,\"db_single_client_sleeps\":%.2f",
                  median(db_hot), median(db_paced), median(batch_sleeps), median(single_sleeps));
    db_json = buffer;
  }
  std::printf("{\"bench\":\"handoff_cost\",\"same_cpu_cpu_us\":%.2f,\"cross_cpu_cpu_us\":%.2f,"
              "\"paced_cpu_us\":%.2f,\"same_cpu_wall_us\":%.2f,\"cross_cpu_wall_us\":%.2f,"
              "\"paced_wall_us\":%.2f,%s}\n",
              median(cpu[0]), median(cpu[1]), median(cpu[2]), median(wall[0]), median(wall[1]),
              median(wall[2]), db_json.c_str());
  return 0;
}
