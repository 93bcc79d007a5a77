/* syscaller [--as UID] OP ARGS...: setuid UID | setgid GID | mount SRC TARGET FSTYPE FLAGS |
 * umount2 TARGET FLAGS | ptrace REQ PID | getppid | chdir PATH. One result line per op. */
#include "common.h"

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
		} else {
			fprintf(stderr, "unknown op %s\n", op);
			return 2;
		}
		i += 1 + used;
	}
	return 0;
}
