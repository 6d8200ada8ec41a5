/*
 * launch: how bench/ times one runtime invocation. rtbench (a Go program
 * of several MiB) cannot fork the runtime itself without spoiling the peak
 * RSS figure: Linux records a process's RSS high-water mark before execve
 * into its ru_maxrss, and a child forked (or vforked) from rtbench starts
 * with rtbench's resident set, so every runtime would show at least
 * rtbench's size. This launcher is a small C program: it becomes a child
 * subreaper, reads the clock, forks, execs PROG, waits for it, reaps any
 * descendant that escaped it and has already exited, reads the clock again
 * and writes one line to fd 3:
 *
 *   wall_ns cpu_ns maxrss_kib orphans
 *
 * cpu and maxrss are RUSAGE_CHILDREN: the sum of user+sys time and the
 * largest ru_maxrss over PROG and every descendant reaped in its tree (the
 * launcher's own costs are not in it). It exits with PROG's status (128+n
 * for a signal n). Descendants still alive are left to rtbench, the
 * launcher's own subreaper, when the launcher exits.
 *
 *   launch PROG [ARGS...]
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long long ns(const struct timespec *t)
{
	return (long long)t->tv_sec * 1000000000LL + t->tv_nsec;
}

int main(int argc, char **argv)
{
	struct timespec t0, t1;
	struct rusage ru;
	int status, orphans = 0;
	pid_t pid, p;
	FILE *out;

	if (argc < 2) {
		fprintf(stderr, "usage: launch PROG [ARGS...] (results on fd 3)\n");
		return 2;
	}
	out = fdopen(3, "w");
	if (!out) {
		fprintf(stderr, "launch: fd 3: %s\n", strerror(errno));
		return 2;
	}
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0) {
		fprintf(stderr, "launch: prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "launch: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		close(3);
		execv(argv[1], &argv[1]);
		fprintf(stderr, "launch: exec %s: %s\n", argv[1], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "launch: waitpid: %s\n", strerror(errno));
			return 2;
		}
	while ((p = waitpid(-1, NULL, WNOHANG)) > 0 || (p < 0 && errno == EINTR))
		if (p > 0)
			orphans++;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (getrusage(RUSAGE_CHILDREN, &ru) < 0) {
		fprintf(stderr, "launch: getrusage: %s\n", strerror(errno));
		return 2;
	}
	fprintf(out, "%lld %lld %ld %d\n", ns(&t1) - ns(&t0),
		(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000LL +
			(long long)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000LL,
		ru.ru_maxrss, orphans);
	if (fclose(out) != 0) {
		fprintf(stderr, "launch: write results: %s\n", strerror(errno));
		return 2;
	}
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
