/* rateloop RATE SECONDS PATH: openat(AT_FDCWD, PATH, O_RDONLY) + close at RATE opens per second
 * (RATE / 1000 per 1 ms tick, ticks on absolute CLOCK_MONOTONIC deadlines; RATE 0 = as fast as
 * possible) for SECONDS; prints "opens <n> elapsed_ns <ns>". Only the openat is a file event:
 * close and clock_nanosleep are not traced by the file sensor. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: rateloop RATE SECONDS PATH\n");
		return 2;
	}
	long rate = strtol(argv[1], NULL, 0);
	double secs = strtod(argv[2], NULL);
	const char *path = argv[3];
	struct timespec start, now, tick;
	clock_gettime(CLOCK_MONOTONIC, &start);
	long long end = ns(&start) + (long long)(secs * 1e9);
	long long opens = 0;
	long per_tick = rate / 1000;
	long carry = rate % 1000, acc = 0;
	tick = start;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ns(&now) >= end)
			break;
		long n = rate ? per_tick : 1000;
		if (rate) {
			acc += carry;
			if (acc >= 1000) {
				acc -= 1000;
				n++;
			}
		}
		for (long i = 0; i < n; i++) {
			int fd = openat(AT_FDCWD, path, O_RDONLY);
			if (fd >= 0)
				close(fd);
		}
		opens += n;
		if (rate) {
			tick.tv_nsec += 1000000;
			if (tick.tv_nsec >= 1000000000) {
				tick.tv_nsec -= 1000000000;
				tick.tv_sec++;
			}
			clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &tick, NULL);
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("opens %lld elapsed_ns %lld\n", opens, ns(&now) - ns(&start));
	return 0;
}
