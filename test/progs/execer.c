/* execer [--at] PATH ARG0 ARGS...: execve(PATH, [ARG0, ARGS...]) (execveat(AT_FDCWD, ...) with
 * --at). On failure prints "execve <-errno>" and exits 1. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	extern char **environ;
	int at = argc > 1 && !strcmp(argv[1], "--at");
	if (argc < 3 + at)
		return 2;
	if (at)
		syscall(SYS_execveat, AT_FDCWD, argv[2], &argv[3], environ, 0);
	else
		syscall(SYS_execve, argv[1], &argv[2], environ);
	report(at ? "execveat" : "execve", -1);
	return 1;
}
