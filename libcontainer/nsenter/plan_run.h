/* What the executor's files share (plan_exec.c: the process steps and the
 * run; plan_rootfs.c: the rootfs steps of rt create's init). */
#ifndef RT_PLAN_RUN_H
#define RT_PLAN_RUN_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

struct run {
	int sock, logfd, debug;
	const struct rt_plan_entry *e; /* the step being run */
	char **env;
	char *path; /* OpLookPath's answer */

	/* The rootfs steps. */
	int root;          /* the rootfs (O_PATH), from bind-rootfs to pivot-root; -1 otherwise */
	const char *rootfs; /* its path, as the messages name it */
	int pivoted;       /* pivot-root done: / is the container's */
	const char *group; /* the spec item the last steps came from ("mounts[6]") */
	const char *group_dest; /* the destination of its first step: Go's error prefix */
	int bindmnt;       /* the mount a bind just made, for its mount-attr step; -1 */
	const char *bind_dest;
	int null;          /* the checked /dev/null of the masked paths; -1 until one */
	int masktmpfs;     /* the empty read-only tmpfs of masked directories; -1 */
	int maskattached;  /* masktmpfs is attached (on the first masked directory) */
	int skipbind;      /* a cgroup2 mount was made: the bind standing in for it is not */

	/* wait-start: after it, a failure goes to the exec result fifo. */
	int started, result;
};

/* The bits of the opts fields (plan/ops.go). */
#define RT_MOUNT_INHERIT_MODE (1u << 0)
#define RT_MOUNT_SYSFS_FALLBACK (1u << 1)
#define RT_MOUNT_ORDINARY_DIR (1u << 2)
#define RT_MOUNT_CGROUP (1u << 3)
#define RT_MOUNT_OR_BIND (1u << 4)
#define RT_BIND_FROM_PARENT (1u << 0)
#define RT_BIND_FROM_PARENT_IF_DENIED (1u << 1)
#define RT_MKNOD_BIND_HOST (1u << 0)
#define RT_MKNOD_BIND_EPERM (1u << 1)
#define RT_SYMLINK_REPLACE (1u << 0)
#define RT_SYMLINK_EXIST_OK (1u << 1)
#define RT_SYMLINK_IGNORE_ERROR (1u << 2)

const char *rt_errstr(int e, char *buf, size_t len);
const char *rt_quote(const char *s, char *buf, size_t len);
void rt_logdebug(struct run *r, const char *msg);
void rt_closelog(struct run *r);
void rt_sendsync(struct run *r, const char *type, const char *msg, int e);
/* rt_sendraw frames body, a JSON object, to the parent. */
void rt_sendraw(struct run *r, const char *body);
void rt_step_fail(struct run *r, int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void rt_step_failx(struct run *r, int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
int rt_openat2_in_root(int dirfd, const char *path, uint64_t flags);

/* rt_rootfs_step runs e if it is a rootfs step (1), else returns 0. */
int rt_rootfs_step(struct run *r, const struct rt_plan_entry *e);
/* rt_wait_start is OpWaitStart. */
void rt_wait_start(struct run *r, const struct rt_plan_entry *e);

#endif
