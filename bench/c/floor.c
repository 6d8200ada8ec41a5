/*
 * floor: the least a runtime must do to run /bin/true in a container, as a
 * yardstick for bench/. It clones a child into new namespaces (the kinds
 * given by -n, by default the set `runc spec` writes: mount, uts, ipc, pid,
 * net, cgroup), the child makes its mounts private, binds the rootfs onto
 * itself, pivot_roots into it, drops the old root and execs the program;
 * the parent waits for it and exits with its status.
 *
 * No cgroups, no /proc or /dev mounts, no capabilities, seccomp, hooks or
 * state: only what no container start can skip.
 *
 *   floor [-n mount,uts,ipc,pid,net,cgroup,user] ROOTFS [PROG [ARGS...]]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *rootfs;
static char **prog;

static int die(const char *what)
{
	fprintf(stderr, "floor: %s: %s\n", what, strerror(errno));
	return 1;
}

static int child(void *arg)
{
	(void)arg;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return die("make / private");
	if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
		return die("bind rootfs");
	if (chdir(rootfs) < 0)
		return die("chdir rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		return die("pivot_root");
	if (umount2(".", MNT_DETACH) < 0)
		return die("umount old root");
	if (chdir("/") < 0)
		return die("chdir /");
	execv(prog[0], prog);
	return die(prog[0]);
}

static int parse_ns(char *list, int *flags)
{
	static const struct {
		const char *name;
		int flag;
	} kinds[] = {
		{"mount", CLONE_NEWNS}, {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
		{"pid", CLONE_NEWPID},	{"net", CLONE_NEWNET}, {"network", CLONE_NEWNET},
		{"cgroup", CLONE_NEWCGROUP}, {"user", CLONE_NEWUSER},
	};
	*flags = 0;
	for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
		size_t i;
		for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			if (strcmp(tok, kinds[i].name) == 0)
				break;
		if (i == sizeof(kinds) / sizeof(kinds[0])) {
			fprintf(stderr, "floor: unknown namespace %s\n", tok);
			return -1;
		}
		*flags |= kinds[i].flag;
	}
	if (!(*flags & CLONE_NEWNS)) {
		fprintf(stderr, "floor: the mount namespace is required (pivot_root)\n");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char *true_argv[] = {"/bin/true", NULL};
	char defaults[] = "mount,uts,ipc,pid,net,cgroup";
	char *ns = defaults;
	int flags, opt, status;
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t pid;

	while ((opt = getopt(argc, argv, "+n:")) != -1) {
		if (opt != 'n') {
			fprintf(stderr, "usage: floor [-n NS,...] ROOTFS [PROG [ARGS...]]\n");
			return 2;
		}
		ns = optarg;
	}
	if (optind >= argc) {
		fprintf(stderr, "usage: floor [-n NS,...] ROOTFS [PROG [ARGS...]]\n");
		return 2;
	}
	if (parse_ns(ns, &flags) < 0)
		return 2;
	rootfs = argv[optind];
	prog = optind + 1 < argc ? &argv[optind + 1] : true_argv;

	pid = clone(child, stack + sizeof(stack), flags | SIGCHLD, NULL);
	if (pid < 0)
		return die("clone");
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return die("waitpid");
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	fprintf(stderr, "floor: child killed by signal %d\n", WTERMSIG(status));
	return 1;
}
