/* syscaller [--as UID] OP ARGS...: setuid UID | setgid GID | mount SRC TARGET FSTYPE FLAGS |
 * umount2 TARGET FLAGS | ptrace REQ PID | getppid | chdir PATH | fchdir PATH (opens PATH
 * O_DIRECTORY first) | connect4 PORT (blocking TCP connect to 127.0.0.1:PORT) | tty (prints
 * "tty <ttyname(0) or none>") | wait (reads one line from stdin) | sleep MS. One result line
 * per op (none for tty and sleep). */
#include "common.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

int main(int argc, char **argv)
{
	if (drop_privs(&argc, &argv))
		return 2;
	for (int i = 1; i < argc;) {
		const char *op = argv[i];
		char **a = &argv[i + 1];
		int used;
		if (!strcmp(op, "setuid")) {
			report(op, syscall(SYS_setuid, num(a[0])));
			used = 1;
		} else if (!strcmp(op, "setgid")) {
			report(op, syscall(SYS_setgid, num(a[0])));
			used = 1;
		} else if (!strcmp(op, "mount")) {
			report(op, syscall(SYS_mount, a[0], a[1], a[2], num(a[3]), NULL));
			used = 4;
		} else if (!strcmp(op, "umount2")) {
			report(op, syscall(SYS_umount2, a[0], num(a[1])));
			used = 2;
		} else if (!strcmp(op, "ptrace")) {
			report(op, syscall(SYS_ptrace, num(a[0]), num(a[1]), 0, 0));
			used = 2;
		} else if (!strcmp(op, "getppid")) {
			report(op, syscall(SYS_getppid));
			used = 0;
		} else if (!strcmp(op, "chdir")) {
			report(op, syscall(SYS_chdir, a[0]));
			used = 1;
		} else if (!strcmp(op, "fchdir")) {
			int fd = open(a[0], O_RDONLY | O_DIRECTORY);
			report(op, syscall(SYS_fchdir, fd));
			used = 1;
		} else if (!strcmp(op, "connect4")) {
			struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(num(a[0])) };
			int s = socket(AF_INET, SOCK_STREAM, 0);
			inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
			report(op, connect(s, (void *)&sa, sizeof(sa)));
			used = 1;
		} else if (!strcmp(op, "sleep")) {
			usleep(num(a[0]) * 1000);
			used = 1;
		} else if (!strcmp(op, "wait")) {
			char line[8];
			report(op, read(0, line, sizeof(line)));
			used = 0;
		} else if (!strcmp(op, "tty")) {
			const char *t = ttyname(0);
			printf("tty %s\n", t ? t : "none");
			fflush(stdout);
			used = 0;
		} else {
			fprintf(stderr, "unknown op %s\n", op);
			return 2;
		}
		i += 1 + used;
	}
	return 0;
}
