/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Never loaded: puts every wire struct of include/events.h into BTF (alignchecker style) so
 * test/kernel/layout.test.ts can compare src/events/decode.ts offsets with the compiler's. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "events.h"

struct oa_hdr oa_layout_hdr SEC(".data.layout");
struct oa_exec oa_layout_exec SEC(".data.layout");
struct oa_fork oa_layout_fork SEC(".data.layout");
struct oa_exit oa_layout_exit SEC(".data.layout");
struct oa_file oa_layout_file SEC(".data.layout");
struct oa_net oa_layout_net SEC(".data.layout");
struct oa_cap oa_layout_cap SEC(".data.layout");
struct oa_syscall oa_layout_syscall SEC(".data.layout");
struct oa_op_counters oa_layout_counters SEC(".data.layout");
struct oa_vis_key oa_layout_vis_key SEC(".data.layout");
struct oa_epochs oa_layout_epochs SEC(".data.layout");

char LICENSE[] SEC("license") = "Dual BSD/GPL";
