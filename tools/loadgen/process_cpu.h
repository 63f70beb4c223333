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

}  // namespace employability::tools

#endif  // EMPLOYABILITY_TOOLS_LOADGEN_PROCESS_CPU_H_
