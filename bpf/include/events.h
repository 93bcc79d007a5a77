/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Wire format of every record the sensors put into the `oa_events` ring buffer, and of the
 * counter/visibility maps user space reads or writes. Shared by the bpf/ sources and native/;
 * mirrored (offsets only) by src/events/decode.ts, checked against BTF by
 * test/kernel/layout.test.ts. Fixed-width fields only, explicit padding, no packing needed:
 * every field sits at a multiple of its size and every struct size is a multiple of 8.
 *
 * Record = common header + per-op payload; all records have a fixed size per op
 * (hdr.size == OA_*_SIZE), strings are NUL-terminated inside their fixed arrays.
 *
 *   0      2      4             8                     16
 *   +------+------+-------------+---------------------+
 *   | op   | size | flags       | ktime_ns (BOOTTIME) |
 *   +------+------+------+------+------+------+------+-------+------+---------+
 *   16 tgid | 20 tid | 24 ppid | 28 ns_tgid | 32 ns_ppid | 36 uid | 40 gid |
 *   44 pid_ns | 48 mnt_ns | 52 rule_id | 56 cgroup_id (u64) | 64 comm[16] | 80 payload...
 *
 *   exec    80: ret s32 | fd s32 | at_flags u32 | nr u16 | argc u16 | path[256] | cwd[256]
 *               | tty[16] | args[20][128] | exe_owner_uid s32 | pad u32         = 3192 B
 *   fork    80: child_tgid u32 | child_ns_tgid u32                              =   88 B
 *   exit    80: exit_code s32 | pad u32                                         =   88 B
 *   file    80: ret s32 | dirfd s32 | flags u32 | mode u32 | owner_uid s32 | owner_gid s32
 *               | file_owner_uid s32 | nr u16 | pad u16 | path[256] | cwd[256]  =  624 B
 *   net     80: ret s32 | fd s32 | domain u32 | type u32 | protocol u32 | backlog s32
 *               | nr u16 | sa_family u16 | sa_port u16 (host order) | sa_len u16
 *               | sa_addr[16] | sun_path[108] | pad[4]                          =  240 B
 *   cap     80: cap s32 | ret s32 | cap_opt u32 | pad u32                       =   96 B
 *   syscall 80: ret s64 | nr u16 | pad[3] u16 | args[6] u64 | strs[3][256]     =  912 B
 *   task    = syscall layout: nr 80/81 (chdir/fchdir) strs[0] = new cwd; nr 308 (setns)
 *           args[0] = pid_ns_for_children inode. Emitted only when ret == 0.
 */
#ifndef __OA_EVENTS_H
#define __OA_EVENTS_H

/* Wire op codes (src/events/record.ts `Op`). Never renumber or reuse a value. */
enum oa_op {
	OA_OP_EXEC = 1,
	OA_OP_FORK = 2,
	OA_OP_EXIT = 3,
	OA_OP_FILE = 10,
	OA_OP_NET = 20,
	OA_OP_CAP = 30,
	OA_OP_SYSCALL = 40,
	OA_OP_TASK = 41, /* process state, never an event: struct oa_syscall layout (below) */
};
/* Entries of the per-op counter arrays (index = op). */
#define OA_OP_SLOTS 64

/* hdr.flags (src/events/record.ts `RecordFlag`). */
#define OA_F_MATCHED (1U << 0)
#define OA_F_KILLED (1U << 1)
#define OA_F_TRUNCATED (1U << 2)
#define OA_F_RULE_ONLY (1U << 3)

#define OA_COMM_LEN 16
#define OA_PATH_LEN 256
#define OA_TTY_LEN 16
#define OA_ARGS_MAX 20
#define OA_ARG_LEN 128
#define OA_SUN_PATH_LEN 108
#define OA_SYS_STRS 3
#define OA_SYS_STR_LEN 256

struct oa_hdr {
	__u16 op;
	__u16 size;
	__u32 flags;
	__u64 ktime_ns;
	__u32 tgid;
	__u32 tid;
	__u32 ppid;
	__u32 ns_tgid;
	__u32 ns_ppid;
	__u32 uid;
	__u32 gid;
	__u32 pid_ns;
	__u32 mnt_ns;
	__u32 rule_id;
	__u64 cgroup_id;
	char comm[OA_COMM_LEN];
};
#define OA_HDR_SIZE 80

struct oa_exec {
	struct oa_hdr hdr;
	__s32 ret;
	__s32 fd;
	__u32 at_flags;
	__u16 nr;
	__u16 argc;
	char path[OA_PATH_LEN];
	char cwd[OA_PATH_LEN];
	char tty[OA_TTY_LEN];
	char args[OA_ARGS_MAX][OA_ARG_LEN];
	__s32 exe_owner_uid; /* i_uid of the new mm->exe_file's inode; -1 on a failed exec */
	__u32 pad;
};
#define OA_EXEC_SIZE 3192

struct oa_fork {
	struct oa_hdr hdr;
	__u32 child_tgid;
	__u32 child_ns_tgid;
};
#define OA_FORK_SIZE 88

struct oa_exit {
	struct oa_hdr hdr;
	__s32 exit_code;
	__u32 pad;
};
#define OA_EXIT_SIZE 88

/* Variable size: with cwd[0] == 0 the record ends after path's NUL, rounded up to 8 bytes
 * (hdr.size says where); with a cwd it is the whole struct. */
struct oa_file {
	struct oa_hdr hdr;
	__s32 ret;
	__s32 dirfd;
	__u32 flags;
	__u32 mode;
	__s32 owner_uid;
	__s32 owner_gid;
	__s32 file_owner_uid;
	__u16 nr;
	__u16 pad;
	char path[OA_PATH_LEN];
	char cwd[OA_PATH_LEN];
};
#define OA_FILE_SIZE 624

struct oa_net {
	struct oa_hdr hdr;
	__s32 ret;
	__s32 fd;
	__u32 domain;
	__u32 type;
	__u32 protocol;
	__s32 backlog;
	__u16 nr;
	__u16 sa_family;
	__u16 sa_port;
	__u16 sa_len; /* addrlen as passed/returned (abstract AF_UNIX names need it) */
	__u8 sa_addr[16]; /* AF_INET: 4 bytes, AF_INET6: 16 bytes, network order */
	char sun_path[OA_SUN_PATH_LEN];
	__u8 pad[4];
};
#define OA_NET_SIZE 240

struct oa_cap {
	struct oa_hdr hdr;
	__s32 cap;
	__s32 ret;
	__u32 cap_opt; /* 0: the 6.x capability/cap_capable tracepoint has no opts field */
	__u32 pad;
};
#define OA_CAP_SIZE 96

struct oa_syscall {
	struct oa_hdr hdr;
	__s64 ret;
	__u16 nr;
	__u16 pad[3];
	__u64 args[6];
	char strs[OA_SYS_STRS][OA_SYS_STR_LEN];
};
#define OA_SYSCALL_SIZE 912

/* `oa_counters` per-CPU array value, index = op. */
struct oa_op_counters {
	__u64 emitted;   /* records submitted to the ring buffer */
	__u64 invisible; /* events dropped in kernel: category not visible and no rule matched */
	__u64 dedup;     /* capability events suppressed by the (tgid, cap) dedupe */
	__u64 args_lost; /* syscall events dropped for want of usable enter args: the args an
			  * exit found predate a detach (older oa_epochs entry) or are of another
			  * syscall, or an enter could not keep them (no task storage) */
};
#define OA_OP_COUNTERS_SIZE 32

/* `oa_visibility` hash key; default for containers = {~0, ~0}; the host ({0, 0} in the agent's API)
 * is kept in the array oa_vis_host instead. */
struct oa_vis_key {
	__u32 pid_ns;
	__u32 mnt_ns;
};
#define OA_VIS_KEY_SIZE 8
#define OA_VIS_DEFAULT 0xFFFFFFFFU
/* `oa_visibility` value bits (src/config.ts Category). */
#define OA_VIS_PROCESS (1U << 0)
#define OA_VIS_FILE (1U << 1)
#define OA_VIS_NETWORK (1U << 2)
#define OA_VIS_CAPABILITIES (1U << 3)
#define OA_VIS_SYSCALL (1U << 4)

/* `oa_epochs` single array entry, written by user space (src/kernel/sensors.ts).
 * epoch[kind] (kind = OA_RK_*) is incremented before the programs of the kind's category are
 * attached again after a detach. oa_args entries carry the epoch of their enter; an exit takes
 * only an entry of the current epoch, so an entry left behind by a detach (enter seen, exit not)
 * is never paired with the exit of a later syscall of the same thread. */
struct oa_epochs {
	__u32 epoch[8];
};
#define OA_EPOCHS_SIZE 32

/* pid ns inode of the initial pid namespace (include/linux/proc_ns.h PROC_PID_INIT_INO). */
#define OA_PROC_PID_INIT_INO 0xEFFFFFFCU

#endif /* __OA_EVENTS_H */
