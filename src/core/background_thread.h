// Marks the calling thread as background work (an exporter's sending
// threads, the batch flusher): Linux's SCHED_BATCH, under which waking it
// does not preempt the thread that woke it. A receiver that hands a batch
// to an exporter then answers its client first, and the exporter runs
// when the receiver waits: on a collector sharing one core, a batch cost
// 0.2-0.5 context switches fewer a request (bench/load_ratio_bench.py,
// 5k spans/s). The thread keeps its fair share of the CPU.
#pragma once

namespace polytrace {

// False when the system refused (the thread then runs as before).
bool RunAsBackgroundThread();

}  // namespace polytrace
