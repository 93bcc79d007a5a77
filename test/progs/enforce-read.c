/* enforce-read <file>: open(2) O_RDONLY, read(2) up to 255 bytes and print them. Prints
 * "open <ret>" then "data <bytes>". Killed at the open's syscall exit, it prints nothing. */
#include "common.h"
#include <fcntl.h>

int main(int argc, char **argv)
{
	char buf[256];
	long fd, n;

	if (drop_privs(&argc, &argv))
		return 1;
	if (argc < 2) {
		fprintf(stderr, "usage: %s <file>\n", argv[0]);
		return 2;
	}
	fd = report("open", open(argv[1], O_RDONLY));
	if (fd < 0)
		return 1;
	n = read((int)fd, buf, sizeof(buf) - 1);
	if (n < 0)
		return report("read", n) ? 1 : 1;
	buf[n] = 0;
	printf("data %s\n", buf);
	return 0;
}
