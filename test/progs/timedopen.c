/* timedopen PATH: prints "before <ns>", the result of one openat(AT_FDCWD, PATH, O_RDONLY) by raw
 * syscall(2) as "openat <ret>", then "after <ns>"; <ns> is CLOCK_REALTIME in unix nanoseconds.
 * clock_gettime is served by the vDSO (no syscall), so the openat is the only file syscall
 * between the two readings and its kernel timestamp lies inside [before, after]. */
#include "common.h"
#include <fcntl.h>
#include <time.h>

static long long realtime_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: timedopen PATH\n");
		return 2;
	}
	long long before = realtime_ns();
	long ret = syscall(SYS_openat, AT_FDCWD, argv[1], O_RDONLY, 0);
	int err = errno;
	long long after = realtime_ns();
	printf("before %lld\n", before);
	errno = err;
	report("openat", ret);
	printf("after %lld\n", after);
	return 0;
}
