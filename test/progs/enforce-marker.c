/* enforce-marker <word>: prints "marker <word>" and exits 0; the exec tests check whether that
 * line ever appears. */
#include <stdio.h>

int main(int argc, char **argv)
{
	printf("marker %s\n", argc > 1 ? argv[1] : "");
	return 0;
}
