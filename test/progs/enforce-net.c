/* enforce-net [--as UID] [bind|sendto] <tcp|udp|tcp6|udp6> <port> [payload]: one socket of that
 * protocol (AF_INET on 127.0.0.1, or AF_INET6 on ::1 for the *6 forms), then
 *   (default) connect(2) to the port, then send(2) the payload when given;
 *   bind      bind(2) to the port;
 *   sendto    sendto(2) the payload (default "x") to the port without connecting (udp).
 * Prints "connect <ret>", "send <ret>", "bind <ret>" or "sendto <ret>" (raw return or -errno).
 * Exit status 0. */
#include "common.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage ss = {};
	struct sockaddr_in *sa = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sa6 = (struct sockaddr_in6 *)&ss;
	const char *mode = "connect", *proto;
	socklen_t len;
	int udp, v6, fd, port;

	if (drop_privs(&argc, &argv))
		return 1;
	if (argc >= 2 && (strcmp(argv[1], "bind") == 0 || strcmp(argv[1], "sendto") == 0)) {
		mode = argv[1];
		argc--;
		argv++;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: %s [bind|sendto] <tcp|udp|tcp6|udp6> <port> [payload]\n", argv[0]);
		return 2;
	}
	proto = argv[1];
	udp = strncmp(proto, "udp", 3) == 0;
	v6 = proto[3] == '6';
	port = (int)num(argv[2]);
	fd = socket(v6 ? AF_INET6 : AF_INET, udp ? SOCK_DGRAM : SOCK_STREAM, udp ? IPPROTO_UDP : IPPROTO_TCP);
	if (fd < 0) {
		report("socket", fd);
		return 0;
	}
	if (v6) {
		sa6->sin6_family = AF_INET6;
		sa6->sin6_port = htons((unsigned short)port);
		sa6->sin6_addr = in6addr_loopback;
		len = sizeof(*sa6);
	} else {
		sa->sin_family = AF_INET;
		sa->sin_port = htons((unsigned short)port);
		sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*sa);
	}
	if (strcmp(mode, "bind") == 0) {
		report("bind", bind(fd, (struct sockaddr *)&ss, len));
	} else if (strcmp(mode, "sendto") == 0) {
		const char *p = argc > 3 ? argv[3] : "x";
		report("sendto", sendto(fd, p, strlen(p), 0, (struct sockaddr *)&ss, len));
	} else if (report("connect", connect(fd, (struct sockaddr *)&ss, len)) == 0 && argc > 3) {
		report("send", send(fd, argv[3], strlen(argv[3]), 0));
	}
	close(fd);
	return 0;
}
