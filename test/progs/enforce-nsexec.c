/* enforce-nsexec <prog> [args]: runs <prog> as pid 1 of a new pid namespace with a new mount
 * namespace, so rules keyed by that (pid ns, mnt ns) pair touch nothing else on the host.
 * Prints "unshare 0", "pipe 0", "child <host pid>", waits for a line on stdin (the test installs its rules meanwhile),
 * lets the child exec, and prints "exit <code>" or "signal <signo>" for it. */
#include "common.h"
#include <sched.h>
#include <sys/wait.h>

int main(int argc, char **argv)
{
	int pipefd[2], status;
	char go[16];
	pid_t pid;

	if (drop_privs(&argc, &argv))
		return 1;
	if (argc < 2) {
		fprintf(stderr, "usage: %s <prog> [args]\n", argv[0]);
		return 2;
	}
	if (report("unshare", unshare(CLONE_NEWPID | CLONE_NEWNS)) || report("pipe", pipe(pipefd)))
		return 1;
	pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		char c;

		close(pipefd[1]);
		if (read(pipefd[0], &c, 1) != 1)
			_exit(3);
		execv(argv[1], argv + 1);
		perror("execv");
		_exit(4);
	}
	close(pipefd[0]);
	printf("child %d\n", pid);
	fflush(stdout);
	if (!fgets(go, sizeof(go), stdin))
		return 1;
	if (write(pipefd[1], "g", 1) != 1)
		return 1;
	if (waitpid(pid, &status, 0) < 0)
		return 1;
	if (WIFSIGNALED(status))
		printf("signal %d\n", WTERMSIG(status));
	else
		printf("exit %d\n", WEXITSTATUS(status));
	return 0;
}
