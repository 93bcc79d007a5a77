/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network sensor: socket, connect, bind, listen, accept, accept4 (x86_64). Enter stores the raw
 * args per tid; every exit tail-calls oa_tail_net_exit, which decodes the sockaddr kernel-side
 * (connect/bind: the address passed; accept*: the peer address written back). */
#include "lib/path.h"
#include "lib/args.h"

#define NR_SOCKET 41
#define NR_CONNECT 42
#define NR_ACCEPT 43
#define NR_BIND 49
#define NR_LISTEN 50
#define NR_ACCEPT4 288

#define OA_AF_UNIX 1
#define OA_AF_INET 2
#define OA_AF_INET6 10
#define OA_SOCK_TYPE_MASK 0xf
#define OA_S_IFMT 00170000
#define OA_S_IFSOCK 0140000

static __always_inline void net__sockaddr(struct oa_net *e, const void *ua, __u32 len)
{
	__u16 fam = 0, port = 0;

	__builtin_memset(e->sa_addr, 0, sizeof(e->sa_addr));
	__builtin_memset(e->sun_path, 0, sizeof(e->sun_path));
	e->sa_family = 0;
	e->sa_port = 0;
	e->sa_len = len;
	if (!ua || len < 2)
		return;
	bpf_probe_read_user(&fam, sizeof(fam), ua);
	e->sa_family = fam;
	if (fam == OA_AF_INET && len >= 8) {
		bpf_probe_read_user(&port, 2, ua + 2);
		bpf_probe_read_user(e->sa_addr, 4, ua + 4);
	} else if (fam == OA_AF_INET6 && len >= 24) {
		bpf_probe_read_user(&port, 2, ua + 2);
		bpf_probe_read_user(e->sa_addr, 16, ua + 8);
	} else if (fam == OA_AF_UNIX) {
		/* Fixed-size read; the decoder bounds the name by sa_len. */
		bpf_probe_read_user(e->sun_path, OA_SUN_PATH_LEN, ua + 2);
	}
	e->sa_port = __builtin_bswap16(port);
}

/* domain/type/protocol of the socket behind fd (0s when fd is not a socket). */
static __always_inline void net__sock(int fd, struct oa_net *e)
{
	struct file *f = file__from_fd(fd);
	struct socket *sock;
	struct sock *sk;

	e->domain = e->type = e->protocol = 0;
	if (!f || (BPF_CORE_READ(f, f_inode, i_mode) & OA_S_IFMT) != OA_S_IFSOCK)
		return;
	sock = BPF_CORE_READ(f, private_data);
	sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return;
	e->domain = BPF_CORE_READ(sk, __sk_common.skc_family);
	e->type = BPF_CORE_READ(sk, sk_type);
	e->protocol = BPF_CORE_READ(sk, sk_protocol);
}

/* Rule number: the IP protocol (socket(..., 0) resolved as the kernel does for stream/dgram),
 * then the socket type (rule-types.ts NET_NUM_SOCKTYPE_BASE). */
static __always_inline __u32 net__rules(struct oa_net *e, __u32 *rid)
{
	__u32 proto = e->protocol, type = e->type & OA_SOCK_TYPE_MASK;

	/* socket(AF_INET*, SOCK_STREAM|SOCK_DGRAM, 0) means TCP / UDP. */
	if (proto == 0 && (e->domain == OA_AF_INET || e->domain == OA_AF_INET6))
		proto = type == 1 ? 6 : type == 2 ? 17 : 0;
	return rules__check_net(proto, type, rid);
}

/* Stand-in record while oa_events is full (rb__finish). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_net);
} oa_net_spill SEC(".maps");

static __noinline int net__exit(long id, long ret)
{
	__u32 pid_ns, mnt_ns, rid = 0, verdict = 0, alen = 0;
	struct oa_sys_args a;
	struct oa_net *e, *rb;
	int visible, rules, flags, took;

	took = args__take(OA_ARGS_DEDICATED, id, &a, OA_RK_NETWORK);
	if (took) {
		if (took == ARGS_STALE)
			counter__add(OA_OP_NET, OA_C_ARGS_LOST);
		return 0;
	}
	visible = vis__get(&pid_ns, &mnt_ns) & OA_VIS_NETWORK;
	rules = rules__active(OA_RK_NETWORK);
	if (!visible && !rules) {
		counter__add(OA_OP_NET, OA_C_INVISIBLE);
		return 0;
	}
	rb = bpf_ringbuf_reserve(&oa_events, sizeof(*rb), 0);
	e = rb;
	if (!e && !rules) {
		/* oa_events full and no rule could need the record: lost, without filling a stand-in. */
		rb__lost(OA_OP_NET);
		return 0;
	}
	if (!e) {
		__u32 zero = 0;
		e = bpf_map_lookup_elem(&oa_net_spill, &zero);
		if (!e) {
			rb__lost(OA_OP_NET);
			return 0;
		}
	}
	hdr__fill(&e->hdr, OA_OP_NET, sizeof(*e), pid_ns, mnt_ns);
	e->ret = ret;
	e->nr = a.nr;
	e->fd = 0;
	e->backlog = 0;
	e->pad[0] = e->pad[1] = e->pad[2] = e->pad[3] = 0;
	if (a.nr == NR_SOCKET) {
		e->domain = a.a[0];
		e->type = a.a[1];
		e->protocol = a.a[2];
		net__sockaddr(e, NULL, 0);
	} else {
		e->fd = a.a[0];
		net__sock(e->fd, e);
		if (a.nr == NR_CONNECT || a.nr == NR_BIND) {
			net__sockaddr(e, (void *)a.a[1], a.a[2]);
		} else if ((a.nr == NR_ACCEPT || a.nr == NR_ACCEPT4) && ret >= 0 && a.a[1] && a.a[2]) {
			bpf_probe_read_user(&alen, sizeof(alen), (void *)a.a[2]);
			net__sockaddr(e, (void *)a.a[1], alen);
		} else {
			net__sockaddr(e, NULL, 0);
			if (a.nr == NR_LISTEN)
				e->backlog = a.a[1];
		}
	}
	if (rules)
		verdict = net__rules(e, &rid);
	flags = verdict__apply(visible, verdict, OA_OP_NET);
	if (flags < 0) {
		if (rb)
			bpf_ringbuf_discard(rb, BPF_RB_NO_WAKEUP);
		return 0;
	}
	e->hdr.flags = flags;
	e->hdr.rule_id = rid;
	rb__finish(rb, e, sizeof(*e), OA_OP_NET, flags);
	return 0;
}

SEC("tp")
int oa_tail_net_exit(struct trace_event_raw_sys_exit *ctx)
{
	return net__exit((__u32)ctx->id, ctx->ret);
}

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int(struct trace_event_raw_sys_exit *));
} oa_net_tail SEC(".maps") = {
	.values = { [0] = (void *)&oa_tail_net_exit },
};

#define OA_NET_HOOK(name, nargs)                                           \
	SEC("tp/syscalls/sys_enter_" #name)                                \
	int oa_enter_##name(struct trace_event_raw_sys_enter *ctx)         \
	{                                                                  \
		if (sensor__wanted(OA_VIS_NETWORK, OA_RK_NETWORK)) {       \
			if (args__store(OA_ARGS_DEDICATED, ctx, nargs,     \
					OA_RK_NETWORK))                    \
				counter__add(OA_OP_NET, OA_C_ARGS_LOST);   \
		} else if (!task__is_self())                               \
			counter__add(OA_OP_NET, OA_C_INVISIBLE);           \
		return 0;                                                  \
	}                                                                  \
	SEC("tp/syscalls/sys_exit_" #name)                                 \
	int oa_exit_##name(struct trace_event_raw_sys_exit *ctx)           \
	{                                                                  \
		bpf_tail_call(ctx, &oa_net_tail, tail__index0());          \
		return 0;                                                  \
	}

OA_NET_HOOK(socket, 3)
OA_NET_HOOK(connect, 3)
OA_NET_HOOK(bind, 3)
OA_NET_HOOK(listen, 2)
OA_NET_HOOK(accept, 3)
OA_NET_HOOK(accept4, 4)
