/* The namespace stage of rt init and rt exec, run as a constructor before
 * the Go runtime makes threads (setns into a user or mount namespace needs a
 * single-threaded caller, and a new pid namespace needs a fork).
 *
 * Stage 0 (this process, exec'd by the parent): join the namespaces named
 * by path (user first), make a new user namespace and wait for the parent to
 * write its id maps, unshare the rest. If a pid or time namespace is new or
 * joined, fork: the child is the container's process, and stage 0 reports
 * "pid <n>" to the parent and exits. Otherwise stage 0 reports its own pid
 * and goes on as the container's process. Either way, the process that
 * returns to Go unshares the cgroup namespace last, after the parent has
 * placed stage 0 (and so the child) in the container's cgroup. With a plan
 * in the bootstrap, that process runs the plan (plan_exec.c) and execs the
 * workload instead of returning to Go. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bootstrap.h"
#include "plan_exec.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* close_fds_above closes every fd above last: the parent gives stdio, the
 * preserved fds and its own in one run 0..last (the sync socket is the
 * last), so anything higher was inherited by accident, from rt's caller.
 * It runs before anything else, so no namespace joined and no file opened
 * below can be reached through such an fd (the CVE-2024-21626 class). */
static void close_fds_above(int sock, int last)
{
	DIR *d;
	struct dirent *e;
	int fd;

	if (syscall(SYS_close_range, (unsigned int)last + 1, ~0U, 0U) == 0)
		return;
	/* Kernels before 5.9: the host's /proc (no namespace joined yet). */
	d = opendir("/proc/self/fd");
	if (!d)
		rt_bail(sock, "list fds to close");
	while ((e = readdir(d)) != NULL) {
		fd = atoi(e->d_name);
		if (fd > last && fd != dirfd(d))
			close(fd);
	}
	closedir(d);
}

static void join_namespaces(int sock, struct bootstrap *b)
{
	int fds[RT_MAX_NS], i;

	/* Open every path first: once in another mount namespace, the host's
	 * /proc/<pid>/ns paths may no longer resolve. */
	for (i = 0; i < b->nns; i++) {
		fds[i] = open(b->ns[i], O_RDONLY | O_CLOEXEC);
		if (fds[i] < 0)
			rt_bail(sock, "open namespace %s", b->ns[i]);
	}
	for (i = 0; i < b->nns; i++) {
		if (setns(fds[i], b->nstype[i]) < 0)
			rt_bail(sock, "join namespace %s", b->ns[i]);
		close(fds[i]);
	}
}

static void new_user_namespace(int sock)
{
	char line[64];
	/* Before unshare: in the new namespace, unmapped, every id reads as
	 * the overflow id. */
	int rootless = geteuid() != 0;

	if (unshare(CLONE_NEWUSER) < 0)
		rt_bail(sock, "unshare user namespace");
	/* The parent writes /proc/<pid>/{uid,gid}_map; a non-dumpable process's
	 * proc files belong to root. A rootless parent (or its newuidmap) is
	 * not root: for this step only, the files are ours again. Nothing of
	 * the container exists yet, and no process but the parent's user can
	 * reach us. */
	if (rootless && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		rt_bail(sock, "prctl(PR_SET_DUMPABLE) for the id maps");
	rt_writeall(sock, "idmap\n", 6);
	rt_readline(sock, line, sizeof(line));
	if (strcmp(line, "idmap-done") != 0) {
		errno = 0;
		rt_bail(sock, "nsenter: parent did not write id maps: %s", line);
	}
	if (rootless && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		rt_bail(sock, "prctl(PR_SET_DUMPABLE)");
}

static void become_root(int sock)
{
	if (setresgid(0, 0, 0) < 0)
		rt_bail(sock, "setresgid(0) in user namespace");
	if (setresuid(0, 0, 0) < 0)
		rt_bail(sock, "setresuid(0) in user namespace");
}

static void write_timens_offsets(int sock, const char *offsets)
{
	int fd = open("/proc/self/timens_offsets", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		rt_bail(sock, "open /proc/self/timens_offsets");
	if (write(fd, offsets, strlen(offsets)) < 0)
		rt_bail(sock, "write time namespace offsets");
	close(fd);
}

static int ns_joined(struct bootstrap *b, int type)
{
	int i;

	for (i = 0; i < b->nns; i++)
		if (b->nstype[i] == type)
			return 1;
	return 0;
}

void rt_nsenter(void)
{
	struct bootstrap b;
	const char *env = getenv("_RT_INITPIPE");
	char msg[64];
	int sock, syncp[2], has_user;
	unsigned long flags;
	pid_t child;

	if (!env)
		return;
	sock = atoi(env);
	if (sock < 3)
		return;
	close_fds_above(sock, sock);

	/* Until the workload's execve, nothing in the container may open
	 * /proc/<pid>/exe or ptrace us (the CVE-2019-5736 class). */
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		rt_bail(sock, "prctl(PR_SET_DUMPABLE)");

	rt_read_bootstrap(sock, &b);
	join_namespaces(sock, &b);

	flags = b.clone_flags;
	has_user = flags & CLONE_NEWUSER;
	if (has_user) {
		new_user_namespace(sock);
		flags &= ~CLONE_NEWUSER;
	}
	if (has_user || ns_joined(&b, CLONE_NEWUSER))
		become_root(sock);
	if (flags && unshare(flags) < 0)
		rt_bail(sock, "unshare namespaces (flags %#lx)", flags);
	if (b.timens[0])
		write_timens_offsets(sock, b.timens);

	if (!(flags & (CLONE_NEWPID | CLONE_NEWTIME)) && !ns_joined(&b, CLONE_NEWPID) && !ns_joined(&b, CLONE_NEWTIME)) {
		snprintf(msg, sizeof(msg), "pid %d\n", getpid());
		rt_writeall(sock, msg, strlen(msg));
		goto last;
	}

	if (pipe2(syncp, O_CLOEXEC) < 0)
		rt_bail(sock, "pipe");
	child = fork();
	if (child < 0)
		rt_bail(sock, "fork into the new pid namespace");
	if (child > 0) {
		snprintf(msg, sizeof(msg), "pid %d\n", child);
		rt_writeall(sock, msg, strlen(msg));
		close(syncp[1]);
		_exit(0);
	}
	/* Wait until stage 0 has sent our pid, so the parent reads it before
	 * anything the Go side writes. */
	close(syncp[1]);
	while (read(syncp[0], msg, 1) < 0 && errno == EINTR)
		;
	close(syncp[0]);
last:
	if (b.cgroupns && unshare(CLONE_NEWCGROUP) < 0)
		rt_bail(sock, "unshare cgroup namespace");
	if (b.has_plan) {
		/* The parent compiled what rt init would do: no Go runtime. */
		const char *logenv = getenv("_RT_LOGPIPE");
		int logfd = logenv ? atoi(logenv) : -1;

		rt_plan_run(sock, logfd > 2 ? logfd : -1, getenv("_RT_DEBUG") != NULL, &b.plan);
	}
	/* Back to Go: rt init carries on inside the namespaces. */
}
