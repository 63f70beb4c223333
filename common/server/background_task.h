// Work a service does on its own, every so often, on a thread of its own:
// the referral sweep, event consumers, feeds. The thread starts with the
// task and stops, after the run in progress, when the task is destroyed, so
// a module that owns its tasks as its last members stops them before
// anything they use goes.
#ifndef EMPLOYABILITY_COMMON_SERVER_BACKGROUND_TASK_H_
#define EMPLOYABILITY_COMMON_SERVER_BACKGROUND_TASK_H_

#include <functional>
#include <string>
#include <thread>
#include <utility>

#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

namespace employability::server {

class BackgroundTask {
 public:
  // Runs `run` every `interval` (the first time after one interval).
  BackgroundTask(absl::Duration interval, std::function<void()> run)
      : thread_([this, interval, run = std::move(run)] {
          while (!stop_.WaitForNotificationWithTimeout(interval)) run();
        }) {}
  ~BackgroundTask() {
    stop_.Notify();
    thread_.join();
  }
  BackgroundTask(const BackgroundTask&) = delete;
  BackgroundTask& operator=(const BackgroundTask&) = delete;

 private:
  absl::Notification stop_;  // before thread_: the thread reads it
  std::thread thread_;
};

}  // namespace employability::server

#endif  // EMPLOYABILITY_COMMON_SERVER_BACKGROUND_TASK_H_
