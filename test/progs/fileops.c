/* fileops [--as UID] OP ARGS... [; OP ARGS...]: one file syscall per op, by raw syscall(2).
 *   open PATH FLAGS MODE | openat DIRFD PATH FLAGS MODE | openat2 DIRFD PATH FLAGS MODE
 *   unlink PATH | unlinkat DIRFD PATH FLAGS | rmdir PATH | chown PATH UID GID | lchown PATH UID GID
 *   fchown PATH UID GID (opens PATH O_RDONLY first) | fchownat DIRFD PATH UID GID FLAGS
 *   chmod PATH MODE | fchmod PATH MODE (opens PATH first) | fchmodat DIRFD PATH MODE
 *   mkdir PATH MODE | rename OLD NEW
 * DIRFD "cwd" = AT_FDCWD. Opened fds stay open until exit. */
#include "common.h"
#include <fcntl.h>
#include <linux/openat2.h>

static int dirfd_arg(const char *s)
{
	return strcmp(s, "cwd") == 0 ? AT_FDCWD : (int)num(s);
}

int main(int argc, char **argv)
{
	if (drop_privs(&argc, &argv))
		return 2;
	for (int i = 1; i < argc;) {
		const char *op = argv[i];
		char **a = &argv[i + 1];
		int used;
		if (!strcmp(op, "open")) {
			report(op, syscall(SYS_open, a[0], num(a[1]), num(a[2])));
			used = 3;
		} else if (!strcmp(op, "openat")) {
			report(op, syscall(SYS_openat, dirfd_arg(a[0]), a[1], num(a[2]), num(a[3])));
			used = 4;
		} else if (!strcmp(op, "openat2")) {
			struct open_how how = { .flags = num(a[2]), .mode = num(a[3]) };
			report(op, syscall(SYS_openat2, dirfd_arg(a[0]), a[1], &how, sizeof(how)));
			used = 4;
		} else if (!strcmp(op, "unlink")) {
			report(op, syscall(SYS_unlink, a[0]));
			used = 1;
		} else if (!strcmp(op, "unlinkat")) {
			report(op, syscall(SYS_unlinkat, dirfd_arg(a[0]), a[1], num(a[2])));
			used = 3;
		} else if (!strcmp(op, "rmdir")) {
			report(op, syscall(SYS_rmdir, a[0]));
			used = 1;
		} else if (!strcmp(op, "chown") || !strcmp(op, "lchown")) {
			report(op, syscall(!strcmp(op, "chown") ? SYS_chown : SYS_lchown, a[0], num(a[1]), num(a[2])));
			used = 3;
		} else if (!strcmp(op, "fchown")) {
			int fd = open(a[0], O_RDONLY);
			printf("fd %d\n", fd);
			report(op, syscall(SYS_fchown, fd, num(a[1]), num(a[2])));
			used = 3;
		} else if (!strcmp(op, "fchownat")) {
			report(op, syscall(SYS_fchownat, dirfd_arg(a[0]), a[1], num(a[2]), num(a[3]), num(a[4])));
			used = 5;
		} else if (!strcmp(op, "chmod")) {
			report(op, syscall(SYS_chmod, a[0], num(a[1])));
			used = 2;
		} else if (!strcmp(op, "fchmod")) {
			int fd = open(a[0], O_RDONLY);
			printf("fd %d\n", fd);
			report(op, syscall(SYS_fchmod, fd, num(a[1])));
			used = 2;
		} else if (!strcmp(op, "fchmodat")) {
			report(op, syscall(SYS_fchmodat, dirfd_arg(a[0]), a[1], num(a[2])));
			used = 3;
		} else if (!strcmp(op, "mkdir")) {
			report(op, syscall(SYS_mkdir, a[0], num(a[1])));
			used = 2;
		} else if (!strcmp(op, "rename")) {
			report(op, syscall(SYS_rename, a[0], a[1]));
			used = 2;
		} else {
			fprintf(stderr, "unknown op %s\n", op);
			return 2;
		}
		i += 1 + used;
	}
	return 0;
}
