/* loop N PATH: N x (openat(AT_FDCWD, PATH, O_RDONLY) + close); prints "WALL_NS CPU_NS": elapsed
 * CLOCK_MONOTONIC and this process's CPU time (user + system, which includes the BPF programs run
 * in its syscalls; time waiting for a CPU or stolen by the hypervisor is not in it). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 3)
		return 2;
	long n = strtol(argv[1], NULL, 0);
	struct timespec a, b, ca, cb;
	clock_gettime(CLOCK_MONOTONIC, &a);
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ca);
	for (long i = 0; i < n; i++) {
		int fd = openat(AT_FDCWD, argv[2], O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cb);
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%lld %lld\n", (long long)(b.tv_sec - a.tv_sec) * 1000000000LL + (b.tv_nsec - a.tv_nsec),
	       (long long)(cb.tv_sec - ca.tv_sec) * 1000000000LL + (cb.tv_nsec - ca.tv_nsec));
	return 0;
}
