// CPU time used by a process, to put a server's cost per call beside its
// throughput.
#ifndef EMPLOYABILITY_TOOLS_LOADGEN_PROCESS_CPU_H_
#define EMPLOYABILITY_TOOLS_LOADGEN_PROCESS_CPU_H_

#include <sys/types.h>

#include <optional>

namespace employability::tools {

// User + system seconds of process `pid` so far, from /proc/<pid>/stat;
// nullopt when it cannot be read.
std::optional<double> ProcessCpuSeconds(pid_t pid);

// User + system seconds of this process so far.
double OwnCpuSeconds();

// Busy seconds of all the machine's cores so far, from /proc/stat: what the
// server and the load generator did not use of it was used by someone else,
// and a benchmark on a busy machine should say so.
std::optional<double> MachineBusySeconds();

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_PROCESS_CPU_H_
