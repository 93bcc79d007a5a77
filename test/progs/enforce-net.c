/* enforce-net [--as UID] <tcp|udp> <port> [payload]: one AF_INET socket of that protocol, connect(2) to
 * 127.0.0.1:<port>, then send(2) the payload when given. Prints "connect <ret>" and
 * "send <ret>" (raw return or -errno). Exit status 0. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int udp, fd;

	if (drop_privs(&argc, &argv))
		return 1;
	if (argc < 3) {
		fprintf(stderr, "usage: %s <tcp|udp> <port> [payload]\n", argv[0]);
		return 2;
	}
	udp = strcmp(argv[1], "udp") == 0;
	fd = socket(AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, udp ? IPPROTO_UDP : IPPROTO_TCP);
	if (fd < 0) {
		report("socket", fd);
		return 0;
	}
	sa.sin_port = htons((unsigned short)num(argv[2]));
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (report("connect", connect(fd, (struct sockaddr *)&sa, sizeof(sa))) == 0 && argc > 3)
		report("send", send(fd, argv[3], strlen(argv[3]), 0));
	close(fd);
	return 0;
}
