/* netops PORT UNIXPATH: a fixed sequence of network syscalls, one result line each:
 *   socket(AF_INET, SOCK_STREAM, 0) = L; bind(L, 127.0.0.1:PORT); listen(L, 7);
 *   socket(AF_INET, SOCK_STREAM, 0) = C; connect(C, 127.0.0.1:PORT); accept(L, &peer) (prints
 *   the peer port as "peerport N"); socket(AF_INET6, SOCK_DGRAM, 0) = U;
 *   connect(U, [::1]:PORT+1); socket(AF_UNIX, SOCK_DGRAM, 0) = X; bind(X, UNIXPATH);
 *   socket(AF_UNIX, SOCK_STREAM, 0) = A; bind(A, "@oa-abstract") (abstract). */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	int port = num(argv[1]);
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, "127.0.0.1", &a4.sin_addr);
	long l = report("socket", socket(AF_INET, SOCK_STREAM, 0));
	report("bind", bind(l, (void *)&a4, sizeof(a4)));
	report("listen", listen(l, 7));
	long c = report("socket", socket(AF_INET, SOCK_STREAM, 0));
	report("connect", connect(c, (void *)&a4, sizeof(a4)));
	struct sockaddr_in peer;
	socklen_t plen = sizeof(peer);
	report("accept", accept(l, (void *)&peer, &plen));
	printf("peerport %d\n", ntohs(peer.sin_port));
	long d = report("socket", socket(AF_INET, SOCK_STREAM, 0));
	report("connect", connect(d, (void *)&a4, sizeof(a4)));
	plen = sizeof(peer);
	report("accept4", accept4(l, (void *)&peer, &plen, SOCK_CLOEXEC));
	printf("peerport4 %d\n", ntohs(peer.sin_port));
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port + 1) };
	inet_pton(AF_INET6, "::1", &a6.sin6_addr);
	long u = report("socket", socket(AF_INET6, SOCK_DGRAM, 0));
	report("connect", connect(u, (void *)&a6, sizeof(a6)));
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	strncpy(un.sun_path, argv[2], sizeof(un.sun_path) - 1);
	long x = report("socket", socket(AF_UNIX, SOCK_DGRAM, 0));
	report("bind", bind(x, (void *)&un, offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1));
	struct sockaddr_un ab = { .sun_family = AF_UNIX };
	memcpy(ab.sun_path, "\0oa-abstract", 12);
	long y = report("socket", socket(AF_UNIX, SOCK_STREAM, 0));
	report("bind", bind(y, (void *)&ab, offsetof(struct sockaddr_un, sun_path) + 12));
	return 0;
}
