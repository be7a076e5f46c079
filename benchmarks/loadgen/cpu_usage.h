// CPU time of the processes under test, so that a run can say what one order costs each
// of them (milliseconds of CPU per accepted order: bourse, MariaDB, the broker, loadgen
// itself). On this shared 2-core machine the latencies of two runs of the same build can
// differ by 2x; the CPU an order costs differs far less, so it is the figure to compare
// builds by (alongside alternating latency pairs).
//
//   --cpu-pids bourse=123+124,mariadb=456,kafka=789    (name=pid[+pid...], comma list)
//
// A process's CPU is utime + stime of /proc/<pid>/stat (every thread, children excluded).
// parse_cpu_pids and stat_cpu_ticks are pure (tested in cpu_usage_test.cc); cpu_seconds
// reads /proc and returns nullopt for a process that is gone.
#pragma once

#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace bourse::bench {

struct CpuProcessGroup {
  std::string name;       // e.g. "bourse"
  std::vector<int> pids;  // summed (several instances)
};

// `text` split at every `separator`, empty pieces kept ("a," is {"a", ""}).
inline std::vector<std::string> split_keeping_empty(std::string_view text, char separator) {
  std::vector<std::string> pieces(1);
  for (char c : text) {
    if (c == separator) pieces.emplace_back();
    else pieces.back() += c;
  }
  return pieces;
}

// Parses "name=pid[+pid...][,name=pid...]". nullopt when malformed (an empty name or
// piece, a pid that is not a positive integer of at most 9 digits, no '=').
inline std::optional<std::vector<CpuProcessGroup>> parse_cpu_pids(std::string_view text) {
  std::vector<CpuProcessGroup> groups;
  for (const std::string& item : split_keeping_empty(text, ',')) {
    const auto equals = item.find('=');
    if (equals == std::string::npos || equals == 0) return std::nullopt;
    CpuProcessGroup group{item.substr(0, equals), {}};
    for (const std::string& pid : split_keeping_empty(std::string_view(item).substr(equals + 1), '+')) {
      if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos ||
          std::stoi(pid) <= 0) {
        return std::nullopt;
      }
      group.pids.push_back(std::stoi(pid));
    }
    groups.push_back(std::move(group));
  }
  return groups;
}

// utime + stime (clock ticks) from the text of /proc/<pid>/stat. The command name (field
// 2) is in parentheses and may hold spaces and ')' itself, so fields are counted from the
// LAST ')'. nullopt when the text does not have the fields.
inline std::optional<long long> stat_cpu_ticks(std::string_view stat) {
  const auto close = stat.rfind(')');
  if (close == std::string_view::npos) return std::nullopt;
  std::istringstream fields{std::string(stat.substr(close + 1))};
  // After the command: state (3), ppid (4), ... utime is field 14, stime 15.
  std::string field;
  long long utime = 0, stime = 0;
  for (int index = 3; index <= 15; ++index) {
    if (!(fields >> field)) return std::nullopt;
    if (index == 14 || index == 15) {
      if (field.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
      (index == 14 ? utime : stime) = std::stoll(field);
    }
  }
  return utime + stime;
}

// CPU seconds used so far by `pid` (all threads); nullopt if it is gone or unreadable.
inline std::optional<double> cpu_seconds(int pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(file, text)) return std::nullopt;
  const auto ticks = stat_cpu_ticks(text);
  if (!ticks) return std::nullopt;
  return static_cast<double>(*ticks) / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

// CPU seconds of every group, in order (a vanished process counts 0 from then on, so
// compare only snapshots of processes that lived through the run).
inline std::vector<double> cpu_snapshot(const std::vector<CpuProcessGroup>& groups) {
  std::vector<double> seconds;
  for (const CpuProcessGroup& group : groups) {
    double sum = 0;
    for (int pid : group.pids) sum += cpu_seconds(pid).value_or(0);
    seconds.push_back(sum);
  }
  return seconds;
}

// The machine's CPU time (all cores, clock ticks) from the first line of /proc/stat:
// "cpu  user nice system idle iowait irq softirq steal guest guest_nice". `steal` is the
// time the hypervisor ran something else while this VM had work to run on its cores: on
// the shared benchmark VM it comes in bursts and stalls every process at once, so a run
// reports it next to its latencies.
struct MachineTicks {
  long long total = 0;  // user + nice + system + idle + iowait + irq + softirq + steal
  long long steal = 0;
};

// Parses that line; nullopt when it is not a "cpu " line with at least the eight fields.
inline std::optional<MachineTicks> parse_machine_ticks(std::string_view line) {
  if (line.substr(0, 4) != "cpu ") return std::nullopt;
  std::istringstream fields{std::string(line.substr(4))};
  MachineTicks ticks;
  for (int index = 0; index < 8; ++index) {
    std::string field;
    if (!(fields >> field) || field.empty() || field.size() > 18 ||
        field.find_first_not_of("0123456789") != std::string::npos) {
      return std::nullopt;
    }
    const long long value = std::stoll(field);
    ticks.total += value;
    if (index == 7) ticks.steal = value;
  }
  return ticks;
}

// Now, from /proc/stat; nullopt if unreadable.
inline std::optional<MachineTicks> machine_ticks() {
  std::ifstream file("/proc/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  return parse_machine_ticks(line);
}

// Steal as a percentage of the machine's CPU time between two readings; nullopt when
// either is missing or no time passed.
inline std::optional<double> steal_percent(const std::optional<MachineTicks>& before,
                                           const std::optional<MachineTicks>& after) {
  if (!before || !after || after->total <= before->total) return std::nullopt;
  return 100.0 * static_cast<double>(after->steal - before->steal) /
         static_cast<double>(after->total - before->total);
}

}  // namespace bourse::bench
