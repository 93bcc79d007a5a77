/* getppid N: N x getppid(2), the trigger of helpers.bpf.c. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 0) : 0;
	for (long i = 0; i < n; i++)
		getppid();
	return 0;
}
