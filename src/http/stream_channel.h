// A streaming response (Server-Sent Events and the like): the bounded queue between the
// code that produces a stream's chunks (any thread) and the connection that writes them.
//
// A handler answers with a Response whose `stream` is set (message.h): the server then
// writes the status line and headers with Transfer-Encoding: chunked (HTTP/1.1; an
// HTTP/1.0 client gets the raw bytes and Connection: close), keeps the connection open
// and writes each chunk pushed into the channel, in push order, as soon as the previous
// write finished (queued chunks are written together). Meanwhile it:
//   - writes `heartbeat_chunk` whenever nothing was written for `heartbeat` (an SSE
//     comment, so proxies and clients see a live connection);
//   - drops a subscriber that stopped reading (End::kDropped, and closes the connection):
//     when a write does not complete within `write_timeout`, or a chunk is pushed while
//     the queue holds `max_queued_chunks` and the connection has taken nothing for
//     `stall_timeout`, whichever comes first. A subscriber that is still reading rides
//     out a burst of the producer up to kStreamBurstFactor x max_queued_chunks queued
//     chunks (beyond that it is dropped too), so a burst handed over faster than the
//     network thread writes does not cost a healthy subscriber its stream, and memory
//     per stream stays bounded by the chunk being written plus the burst ceiling;
//   - ends the stream when the client closes the connection (End::kDisconnected);
//   - applies no read deadline: a stream lasts as long as its subscriber keeps reading
//     (the request's read timeout ended with the request);
//   - on server shutdown, writes what is queued and the final chunk, then closes
//     (End::kFinished), within the shutdown deadline.
// finish() from the producer ends it the same clean way.
//
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace bourse::http {

// Default bounds of one stream (a route may choose its own, see StreamOptions).
inline constexpr std::size_t kDefaultStreamQueueChunks = 256;
inline constexpr std::chrono::milliseconds kDefaultStreamHeartbeat{15'000};
inline constexpr std::chrono::milliseconds kDefaultStreamWriteTimeout{10'000};
// How long a connection may take nothing while its queue is full before it is dropped.
inline constexpr std::chrono::milliseconds kDefaultStreamStallTimeout{2'000};
// The hard ceiling of a queue, as a multiple of max_queued_chunks: a reading subscriber
// in a burst may queue this much, never more.
inline constexpr std::size_t kStreamBurstFactor = 16;
// The kernel send buffer asked for each stream's socket: bounds what a stalled
// subscriber pins in the kernel, and lets the queue limit notice it sooner.
inline constexpr int kStreamSendBufferBytes = 16 * 1024;

struct StreamOptions {
  std::size_t max_queued_chunks = kDefaultStreamQueueChunks;  // >= 1
  std::chrono::milliseconds heartbeat = kDefaultStreamHeartbeat;  // > 0
  std::chrono::milliseconds write_timeout = kDefaultStreamWriteTimeout;  // > 0
  std::chrono::milliseconds stall_timeout = kDefaultStreamStallTimeout;  // > 0
  std::string heartbeat_chunk = ": hb\n\n";
};

class StreamChannel {
 public:
  enum class End { kOpen, kFinished, kDropped, kDisconnected };

  explicit StreamChannel(StreamOptions options);
  StreamChannel(const StreamChannel&) = delete;
  StreamChannel& operator=(const StreamChannel&) = delete;

  const StreamOptions& options() const { return options_; }

  // --- producer side -------------------------------------------------------------------
  // Queues one chunk. Returns false (and drops it) once the stream ended; a push that
  // finds the queue full (max_queued_chunks and stalled for stall_timeout, or the burst
  // ceiling) ends the stream with kDropped and returns false.
  bool push(std::string chunk);
  // Ends the stream cleanly: what is queued is still written, then the stream closes.
  void finish();
  // kOpen while chunks are accepted.
  End end() const;
  bool is_open() const { return end() == End::kOpen; }

  // --- server side -----------------------------------------------------------------------
  // `wake` is called (from the pushing thread, without the channel's lock) after each push
  // or end; replaces any earlier one. An empty function detaches.
  void attach(std::function<void()> wake);
  // Takes every queued chunk; the server calls it whenever the connection is ready for
  // more (which is what "not stalled" means). `ended` is set to the end state (kOpen
  // while it goes on).
  std::vector<std::string> take(End& ended);
  // A write did not complete within write_timeout: ends the stream with kDropped (if it
  // had not ended); the server then closes the connection.
  void write_timed_out();
  // The connection is gone: ends the stream with kDisconnected (if it had not ended) and
  // detaches the wake function.
  void disconnected();

 private:
  void wake();

  const StreamOptions options_;
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;          // guarded by mutex_
  std::chrono::steady_clock::time_point ready_at_;  // guarded by mutex_: the last take()
  End end_ = End::kOpen;                   // guarded by mutex_
  std::function<void()> wake_;             // guarded by mutex_
};

}  // namespace bourse::http
