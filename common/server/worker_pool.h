// The threads that run service work. gRPC's callback threads only hand a call
// over and return, so a call waiting on Redis never holds one of them; the
// store pipelines the waits of all workers into shared round trips.
#ifndef EMPLOYABILITY_COMMON_SERVER_WORKER_POOL_H_
#define EMPLOYABILITY_COMMON_SERVER_WORKER_POOL_H_

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace employability::server {

class WorkerPool {
 public:
  // `max_queued` bounds the backlog: past it Submit refuses, and the caller
  // answers RESOURCE_EXHAUSTED rather than queueing without limit.
  WorkerPool(int threads, int max_queued);
  ~WorkerPool();  // runs what is queued, then joins

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // False when the backlog is full or the pool is stopping.
  bool Submit(std::function<void()> task);

 private:
  void Run();

  const size_t max_queued_;
  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_WORKER_POOL_H_
