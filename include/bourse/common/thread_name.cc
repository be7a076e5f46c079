#include "bourse/common/thread_name.h"

#include <pthread.h>

#include <array>

namespace bourse {

std::string thread_name(std::string_view name) {
  if (name.size() <= kMaxThreadNameBytes) return std::string(name);
  constexpr std::size_t kTail = 3;
  constexpr std::size_t kHead = kMaxThreadNameBytes - kTail - 1;
  std::string cut(name.substr(0, kHead));
  cut += '~';
  cut += name.substr(name.size() - kTail);
  return cut;
}

void set_current_thread_name(std::string_view name) noexcept {
  try {
    (void)pthread_setname_np(pthread_self(), thread_name(name).c_str());
  } catch (...) {
    // Allocation failure: the thread keeps its inherited name.
  }
}

std::string current_thread_name() {
  std::array<char, kMaxThreadNameBytes + 1> buffer{};
  if (pthread_getname_np(pthread_self(), buffer.data(), buffer.size()) != 0) return {};
  return std::string(buffer.data());
}

}  // namespace bourse
