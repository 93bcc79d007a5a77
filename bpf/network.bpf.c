/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/* Network sensor: socket, connect, bind, listen, accept, accept4 (x86_64). sys_exit only, like
 * the file sensor: each exit program decides visibility and calls net__exit, which reads the
 * arguments from pt_regs (args__from_regs) and decodes the sockaddr kernel-side (connect/bind:
 * the address passed; accept*: the peer address written back). */
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

/* The record is built here, per CPU, and copied to its lane once the verdict is known
 * (rb__output), like the file sensor's: a reservation held across the rule check and the
 * ring-full fallback is a reference the 6.1 verifier loses track of ("Unreleased reference"). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct oa_net);
} oa_net_build SEC(".maps");

/* One network syscall exit that sensor__want wanted (`want`: OA_W_*; `ns`: pid ns << 32 | mnt
 * ns). A global function: verified once per exit program. */
__noinline int net__exit(long id, long ret, __u32 want, __u64 ns)
{
	__u32 pid_ns = ns >> 32, mnt_ns = (__u32)ns, rid = 0, verdict = 0, alen = 0, zero = 0;
	int visible = want & OA_W_VISIBLE, rules = want & OA_W_RULES;
	struct oa_sys_args a;
	struct oa_net *e;
	int flags;

	e = bpf_map_lookup_elem(&oa_net_build, &zero);
	if (!e) {
		rb__lost(OA_OP_NET);
		return 0;
	}
	args__from_regs(&a, id);
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
	if (flags < 0)
		return 0;
	e->hdr.flags = flags;
	e->hdr.rule_id = rid;
	rb__output(e, sizeof(*e), OA_OP_NET, flags);
	return 0;
}

#define OA_NET_HOOK(name) OA_EXIT_HOOK(name, OA_VIS_NETWORK, OA_RK_NETWORK, OA_OP_NET, net__exit)

OA_NET_HOOK(socket)
OA_NET_HOOK(connect)
OA_NET_HOOK(bind)
OA_NET_HOOK(listen)
OA_NET_HOOK(accept)
OA_NET_HOOK(accept4)
