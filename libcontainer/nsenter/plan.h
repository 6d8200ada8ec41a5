/* The plan: what the init (or an rt exec process) does to itself, compiled
 * by the parent (libcontainer/parent_plan.go) into the binary form that
 * libcontainer/plan/plan.go describes and this decoder reads. The ops and
 * their fields are plan/ops.go's, in the same order and with the same
 * numbers (TestCSchemaMatches holds the two tables equal).
 *
 * The decoder never trusts a length: the whole plan, each entry, each
 * string and list is checked against what is left and against the bounds
 * below (the same as plan.go's), and a plan is either decoded completely or
 * refused with one message. Strings are NUL-terminated on the wire and are
 * used in place; the only allocations are the entry array and one pointer
 * array per string list, both bounded by the plan's size. */
#ifndef RT_PLAN_H
#define RT_PLAN_H

#include <stddef.h>
#include <stdint.h>

#define RT_PLAN_MAGIC "RTPL"
#define RT_PLAN_VERSION 1
#define RT_PLAN_HEADER 16
#define RT_PLAN_MAX_SIZE (4u << 20)
#define RT_PLAN_MAX_ENTRIES 4096u
#define RT_PLAN_MAX_FIELDS 8
#define RT_PLAN_MAX_NAME 256u
#define RT_PLAN_MAX_PATH 4096u
#define RT_PLAN_MAX_STR (1u << 20)
#define RT_PLAN_MAX_BYTES (1u << 20)
#define RT_PLAN_MAX_LIST 65536u

enum rt_plan_op {
	RT_OP_PROPAGATION = 1,
	RT_OP_BIND_ROOTFS = 2,
	RT_OP_MOUNT = 3,
	RT_OP_BIND = 4,
	RT_OP_MOUNT_ATTR = 5,
	RT_OP_MKDIR = 6,
	RT_OP_MKNOD = 7,
	RT_OP_SYMLINK = 8,
	RT_OP_REMOUNT_RO = 9,
	RT_OP_REMOUNT = 10,
	RT_OP_HOOKS = 11,
	RT_OP_SYSCTL = 12,
	RT_OP_OOM_SCORE_ADJ = 13,
	RT_OP_PIVOT_ROOT = 14,
	RT_OP_READONLY_PATH = 15,
	RT_OP_MASK_PATH = 16,
	RT_OP_ROOT_READONLY = 17,
	RT_OP_REOPEN_DEV_NULL = 18,
	RT_OP_SETSID = 19,
	RT_OP_CONSOLE = 20,
	RT_OP_LOOPBACK_UP = 21,
	RT_OP_HOSTNAME = 22,
	RT_OP_DOMAINNAME = 23,
	RT_OP_SESSION_KEYRING = 24,
	RT_OP_AFFINITY = 25,
	RT_OP_RLIMIT = 26,
	RT_OP_CHDIR = 27,
	RT_OP_ENV = 28,
	RT_OP_LOOK_PATH = 29,
	RT_OP_SECCOMP = 30,
	RT_OP_KEEP_CAPS = 31,
	RT_OP_CAP_BOUNDING = 32,
	RT_OP_CHOWN_TTY = 33,
	RT_OP_SETGROUPS = 34,
	RT_OP_SETGID = 35,
	RT_OP_SETUID = 36,
	RT_OP_CAPABILITIES = 37,
	RT_OP_UMASK = 38,
	RT_OP_NO_NEW_PRIVS = 39,
	RT_OP_CLOSE_FROM = 40,
	RT_OP_READY = 41,
	RT_OP_WAIT_START = 42,
	RT_OP_EXEC = 43,
	RT_OP_SCHEDULER = 44,
	RT_OP_IO_PRIORITY = 45,
	RT_OP_PERSONALITY = 46,
	RT_OP_MEM_POLICY = 47,
	RT_OP_END
};

/* Field kinds, as the schema strings spell them. */
#define RT_F_U64 'U'
#define RT_F_STR 'S'
#define RT_F_PATH 'P'
#define RT_F_BYTES 'B'
#define RT_F_STRV 'V'
#define RT_F_U32V 'W'

struct rt_plan_opspec {
	const char *name;   /* as in dumps and messages */
	const char *kinds;  /* one RT_F_ letter per field, in wire order */
	const char *fields; /* the fields' names, space-separated */
};

extern const struct rt_plan_opspec rt_plan_ops[RT_OP_END];

struct rt_plan_field {
	char kind;
	uint64_t u64;             /* U */
	const char *str;          /* S, P: NUL-terminated, in the plan's buffer */
	const unsigned char *raw; /* B: the bytes; W: count little-endian u32s */
	uint32_t len;             /* S, P: strlen; B: bytes; V, W: count */
	char **strv;              /* V: len strings and a NULL (execve's form) */
};

struct rt_plan_entry {
	uint16_t op;
	const char *name; /* the spec item: "mounts[3]" */
	uint32_t nfields;
	struct rt_plan_field f[RT_PLAN_MAX_FIELDS];
};

struct rt_plan {
	uint32_t n;
	struct rt_plan_entry *e;
};

/* rt_plan_decode parses buf (len bytes, kept alive and unchanged while the
 * plan is used). It returns 0, or -1 with the reason in err. A refused
 * plan holds nothing to free. */
int rt_plan_decode(const unsigned char *buf, size_t len, struct rt_plan *p, char *err, size_t errlen);
void rt_plan_free(struct rt_plan *p);
uint32_t rt_plan_u32(const struct rt_plan_field *f, uint32_t i);

#endif
