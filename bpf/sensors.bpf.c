/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* One object for all sensors (unity build): the ring buffer, counters, visibility map and the
 * maps rules.h defines must exist exactly once, and user space loads a single object. Each
 * category lives in its own <category>.bpf.c, included here. */
#include "process.bpf.c"
#include "file.bpf.c"
#include "network.bpf.c"
#include "capabilities.bpf.c"
#include "syscalls.bpf.c"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
