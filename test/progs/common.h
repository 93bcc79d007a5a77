/* Shared by the tester programs: result printing and privilege drop. */
#ifndef OA_TESTER_COMMON_H
#define OA_TESTER_COMMON_H
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

/* Prints "<op> <ret>" where ret is the raw return or -errno. */
static __attribute__((unused)) long report(const char *op, long ret)
{
	if (ret < 0)
		ret = -errno;
	printf("%s %ld\n", op, ret);
	fflush(stdout);
	return ret;
}

static __attribute__((unused)) long num(const char *s)
{
	return strtol(s, NULL, 0);
}

/* "--as UID" as the first two arguments: setgid+setuid to UID before the work. */
static __attribute__((unused)) int drop_privs(int *argc, char ***argv)
{
	if (*argc >= 3 && strcmp((*argv)[1], "--as") == 0) {
		uid_t u = num((*argv)[2]);
		if (setgid(u) || setuid(u)) {
			perror("drop privileges");
			return -1;
		}
		*argc -= 2;
		*argv += 2;
	}
	return 0;
}
#endif
