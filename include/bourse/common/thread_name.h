// Names for the process's own threads, as `top -H`, `ps -L`, `perf report --sort comm`
// and /proc/<pid>/task/<tid>/comm show them: which part of bourse uses the CPU.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace bourse {

// Linux keeps at most 15 bytes of a thread's name (16 with the terminating NUL).
inline constexpr std::size_t kMaxThreadNameBytes = 15;

// `name` cut to kMaxThreadNameBytes; a long name keeps its first 11 and last 3 bytes
// around a '~' (the end tells instances apart: "consumer-order-status-account" becomes
// "consumer-or~unt").
std::string thread_name(std::string_view name);

// Names the calling thread thread_name(name). Best effort: a failure changes nothing.
void set_current_thread_name(std::string_view name) noexcept;

// The calling thread's name ("" if it cannot be read).
std::string current_thread_name();

}  // namespace bourse
