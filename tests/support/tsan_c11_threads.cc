// ThreadSanitizer builds only (BOURSE_SANITIZE_THREAD): C11 <threads.h> on top of pthreads.
//
// Why: librdkafka (Debian 12's 2.0.2) creates its threads and takes its locks through
// glibc's C11 functions (thrd_create, mtx_lock, cnd_wait, ...), which call glibc's
// pthread internals directly. GCC 12's TSan intercepts only the pthread entry points, so
// a librdkafka thread is unknown to it (its first allocation crashes in TSan's allocator)
// and librdkafka's locks are invisible (every hand-off through a librdkafka queue would
// look like a race). Defined in the executable, these functions take precedence over
// glibc's for every shared library that refers to them (the linker exports them for
// librdkafka; checked with LD_DEBUG=bindings), and they call the pthread functions that
// TSan intercepts.
//
// glibc's C11 types are its pthread types (thrd_t is pthread_t; mtx_t and cnd_t have the
// size and alignment of pthread_mutex_t and pthread_cond_t), asserted below.
#include <threads.h>

#include <pthread.h>

#include <cerrno>
#include <cstdint>
#include <new>

static_assert(sizeof(thrd_t) == sizeof(pthread_t));
static_assert(sizeof(mtx_t) == sizeof(pthread_mutex_t));
static_assert(alignof(mtx_t) >= alignof(pthread_mutex_t));
static_assert(sizeof(cnd_t) == sizeof(pthread_cond_t));
static_assert(alignof(cnd_t) >= alignof(pthread_cond_t));

namespace {

int to_c11(int pthread_status) {
  switch (pthread_status) {
    case 0: return thrd_success;
    case EBUSY: return thrd_busy;
    case ETIMEDOUT: return thrd_timedout;
    case ENOMEM: return thrd_nomem;
    default: return thrd_error;
  }
}

struct Start {
  thrd_start_t function;
  void* argument;
};

void* trampoline(void* raw) {
  const Start start = *static_cast<Start*>(raw);
  delete static_cast<Start*>(raw);
  return reinterpret_cast<void*>(static_cast<std::intptr_t>(start.function(start.argument)));
}

pthread_mutex_t* native(mtx_t* mutex) { return reinterpret_cast<pthread_mutex_t*>(mutex); }
pthread_cond_t* native(cnd_t* condition) { return reinterpret_cast<pthread_cond_t*>(condition); }

}  // namespace

extern "C" {

int thrd_create(thrd_t* thread, thrd_start_t function, void* argument) {
  auto* start = new (std::nothrow) Start{function, argument};
  if (start == nullptr) return thrd_nomem;
  const int status = pthread_create(thread, nullptr, trampoline, start);
  if (status != 0) delete start;
  return to_c11(status);
}

int thrd_join(thrd_t thread, int* result) {
  void* raw = nullptr;
  const int status = pthread_join(thread, &raw);
  if (status == 0 && result != nullptr) {
    *result = static_cast<int>(reinterpret_cast<std::intptr_t>(raw));
  }
  return to_c11(status);
}

int thrd_detach(thrd_t thread) { return to_c11(pthread_detach(thread)); }

int mtx_init(mtx_t* mutex, int type) {
  pthread_mutexattr_t attributes;
  pthread_mutexattr_init(&attributes);
  if ((type & mtx_recursive) != 0) pthread_mutexattr_settype(&attributes, PTHREAD_MUTEX_RECURSIVE);
  const int status = pthread_mutex_init(native(mutex), &attributes);
  pthread_mutexattr_destroy(&attributes);
  return to_c11(status);
}

int mtx_lock(mtx_t* mutex) { return to_c11(pthread_mutex_lock(native(mutex))); }
int mtx_trylock(mtx_t* mutex) { return to_c11(pthread_mutex_trylock(native(mutex))); }
int mtx_timedlock(mtx_t* __restrict mutex, const struct timespec* __restrict deadline) {
  return to_c11(pthread_mutex_timedlock(native(mutex), deadline));
}
int mtx_unlock(mtx_t* mutex) { return to_c11(pthread_mutex_unlock(native(mutex))); }
void mtx_destroy(mtx_t* mutex) { pthread_mutex_destroy(native(mutex)); }

int cnd_init(cnd_t* condition) { return to_c11(pthread_cond_init(native(condition), nullptr)); }
int cnd_signal(cnd_t* condition) { return to_c11(pthread_cond_signal(native(condition))); }
int cnd_broadcast(cnd_t* condition) { return to_c11(pthread_cond_broadcast(native(condition))); }
int cnd_wait(cnd_t* condition, mtx_t* mutex) {
  return to_c11(pthread_cond_wait(native(condition), native(mutex)));
}
int cnd_timedwait(cnd_t* __restrict condition, mtx_t* __restrict mutex,
                  const struct timespec* __restrict deadline) {
  return to_c11(pthread_cond_timedwait(native(condition), native(mutex), deadline));
}
void cnd_destroy(cnd_t* condition) { pthread_cond_destroy(native(condition)); }

}  // extern "C"
