#include "core/background_thread.h"

#include <pthread.h>
#include <sched.h>

namespace polytrace {

bool RunAsBackgroundThread() {
  sched_param param{};  // SCHED_BATCH has the one static priority, 0
  return pthread_setschedparam(pthread_self(), SCHED_BATCH, &param) == 0;
}

}  // namespace polytrace
