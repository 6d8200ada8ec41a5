/* The bootstrap message, as the parent writes it: "<len>\n" then len bytes of
 * lines "key value". Keys: clone <flags>, ns <CLONE_NEW flag> <path> (joined in
 * order, user namespace first), idmap 1 (ask the parent to write uid/gid maps after the
 * new user namespace is made), cgroupns 1, timens <offsets line>, plan <n>: n
 * bytes of a plan (plan.h) follow the message; the process that would
 * start Go runs it instead (plan_exec.c). */
#ifndef RT_BOOTSTRAP_H
#define RT_BOOTSTRAP_H

#include "plan.h"

#define RT_MAX_NS 16

struct bootstrap {
	unsigned long clone_flags;
	int idmap;
	int cgroupns;
	int nns;
	char *ns[RT_MAX_NS];
	int nstype[RT_MAX_NS]; /* CLONE_NEW* of each ns: setns checks the kind */
	char timens[512];
	int has_plan;
	struct rt_plan plan; /* decoded; points into a buffer kept for the process's life */
};

void rt_bail(int sock, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
void rt_read_bootstrap(int sock, struct bootstrap *b);
void rt_readline(int sock, char *buf, size_t len);
void rt_writeall(int sock, const char *buf, size_t len);

#endif
