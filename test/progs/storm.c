/* storm PROCS SECONDS MODE [PATH [RATE]]: PROCS children generate events until SECONDS have
 * passed, each at most RATE operations per second (0 or absent: as fast as possible).
 *   MODE open: openat(AT_FDCWD, PATH, O_RDONLY) + close in a loop
 *   MODE exec: fork + execve("/bin/true") + wait in a loop
 * Prints "<total operations>" when every child has finished; exit 0. Children die with the parent. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return 2;
	int procs = atoi(argv[1]);
	double until = now() + atof(argv[2]);
	int exec_mode = strcmp(argv[3], "exec") == 0;
	const char *path = argc > 4 ? argv[4] : "/etc/hostname";
	double rate = argc > 5 ? atof(argv[5]) : 0;
	long *counts = mmap(NULL, sizeof(long) * (size_t)procs, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 1;
	for (int i = 0; i < procs; i++) {
		if (fork() == 0) {
			long n = 0;
			/* Killing the storm parent ends the storm. */
			prctl(PR_SET_PDEATHSIG, SIGKILL);
			while (now() < until) {
				for (int k = 0; k < 64; k++) {
					if (exec_mode) {
						pid_t c = fork();
						if (c == 0) {
							char *av[] = { "true", NULL };
							execv("/bin/true", av);
							_exit(127);
						}
						if (c > 0)
							waitpid(c, NULL, 0);
						break;
					}
					int fd = openat(AT_FDCWD, path, O_RDONLY);
					if (fd >= 0)
						close(fd);
				}
				n += exec_mode ? 1 : 64;
				if (rate > 0) {
					double ahead = (double)n / rate - (now() - (until - atof(argv[2])));
					if (ahead > 0) {
						struct timespec ts = { (time_t)ahead, (long)((ahead - (time_t)ahead) * 1e9) };
						nanosleep(&ts, NULL);
					}
				}
			}
			counts[i] = n;
			_exit(0);
		}
	}
	while (wait(NULL) > 0)
		;
	long total = 0;
	for (int i = 0; i < procs; i++)
		total += counts[i];
	printf("%ld\n", total);
	return 0;
}
