/* The plan decoder: see plan.h. Mechanism only; the policy is Go's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plan.h"

const struct rt_plan_opspec rt_plan_ops[RT_OP_END] = {
	[RT_OP_PROPAGATION] = {"propagation", "PU", "path flags"},
	[RT_OP_BIND_ROOTFS] = {"bind-rootfs", "P", "rootfs"},
	[RT_OP_MOUNT] = {"mount", "PSSUSU", "dest source fstype flags data opts"},
	[RT_OP_BIND] = {"bind", "PPUUUU", "dest source recursive flags clear opts"},
	[RT_OP_MOUNT_ATTR] = {"mount-attr", "PWUU", "dest propagation attr_set attr_clr"},
	[RT_OP_MKDIR] = {"mkdir", "PU", "path mode"},
	[RT_OP_MKNOD] = {"mknod", "PUUUUUU", "path mode major minor uid gid opts"},
	[RT_OP_SYMLINK] = {"symlink", "PPU", "target link opts"},
	[RT_OP_REMOUNT_RO] = {"remount-ro", "P", "dest"},
	[RT_OP_REMOUNT] = {"remount", "PUS", "dest flags data"},
	[RT_OP_HOOKS] = {"hooks", "", ""},
	[RT_OP_SYSCTL] = {"sysctl", "PS", "path value"},
	[RT_OP_OOM_SCORE_ADJ] = {"oom-score-adj", "S", "value"},
	[RT_OP_PIVOT_ROOT] = {"pivot-root", "P", "rootfs"},
	[RT_OP_READONLY_PATH] = {"readonly-path", "P", "path"},
	[RT_OP_MASK_PATH] = {"masked-path", "P", "path"},
	[RT_OP_ROOT_READONLY] = {"root-readonly", "", ""},
	[RT_OP_REOPEN_DEV_NULL] = {"reopen-dev-null", "", ""},
	[RT_OP_SETSID] = {"setsid", "", ""},
	[RT_OP_CONSOLE] = {"console", "UUU", "width height dev_console"},
	[RT_OP_LOOPBACK_UP] = {"lo-up", "", ""},
	[RT_OP_HOSTNAME] = {"hostname", "S", "name"},
	[RT_OP_DOMAINNAME] = {"domainname", "S", "name"},
	[RT_OP_SESSION_KEYRING] = {"session-keyring", "S", "name"},
	[RT_OP_AFFINITY] = {"cpu-affinity", "WS", "cpus list"},
	[RT_OP_RLIMIT] = {"rlimit", "UUU", "resource soft hard"},
	[RT_OP_CHDIR] = {"chdir", "P", "cwd"},
	[RT_OP_ENV] = {"env", "VUU", "vars home_uid lookup_home"},
	[RT_OP_LOOK_PATH] = {"lookpath", "P", "name"},
	[RT_OP_SECCOMP] = {"seccomp", "UB", "flags bpf"},
	[RT_OP_KEEP_CAPS] = {"keep-caps", "U", "on"},
	[RT_OP_CAP_BOUNDING] = {"cap-bounding", "UU", "keep last"},
	[RT_OP_CHOWN_TTY] = {"chown-tty", "U", "uid"},
	[RT_OP_SETGROUPS] = {"setgroups", "W", "gids"},
	[RT_OP_SETGID] = {"setgid", "U", "gid"},
	[RT_OP_SETUID] = {"setuid", "U", "uid"},
	[RT_OP_CAPABILITIES] = {"capabilities", "UUUU", "effective permitted inheritable ambient"},
	[RT_OP_UMASK] = {"umask", "U", "mask"},
	[RT_OP_NO_NEW_PRIVS] = {"no-new-privileges", "", ""},
	[RT_OP_CLOSE_FROM] = {"close-fds", "U", "from"},
	[RT_OP_READY] = {"ready", "", ""},
	[RT_OP_WAIT_START] = {"wait-start", "UUU", "fifo result dumpable"},
	[RT_OP_EXEC] = {"exec", "V", "args"},
	[RT_OP_SCHEDULER] = {"scheduler", "BSS", "attr policy cpuset"},
	[RT_OP_IO_PRIORITY] = {"io-priority", "USU", "prio class priority"},
	[RT_OP_PERSONALITY] = {"personality", "US", "persona domain"},
	[RT_OP_MEM_POLICY] = {"mempolicy", "UWSSSU", "policy nodes mode_name flag_names node_list relative"},
};

struct reader {
	const unsigned char *b;
	size_t off, end;
	char *err;
	size_t errlen;
};

static int fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct reader *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->err, r->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static uint32_t le32(const unsigned char *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

uint32_t rt_plan_u32(const struct rt_plan_field *f, uint32_t i)
{
	if (f->kind != RT_F_U32V || i >= f->len)
		return 0;
	return le32(f->raw + 4 * (size_t)i);
}

static int rd32(struct reader *r, uint32_t *v)
{
	if (r->end - r->off < 4)
		return fail(r, "truncated");
	*v = le32(r->b + r->off);
	r->off += 4;
	return 0;
}

static int rd16(struct reader *r, uint16_t *v)
{
	if (r->end - r->off < 2)
		return fail(r, "truncated");
	*v = (uint16_t)(r->b[r->off] | r->b[r->off + 1] << 8);
	r->off += 2;
	return 0;
}

static int rd64(struct reader *r, uint64_t *v)
{
	uint32_t lo, hi;

	if (r->end - r->off < 8)
		return fail(r, "truncated");
	lo = le32(r->b + r->off);
	hi = le32(r->b + r->off + 4);
	*v = (uint64_t)hi << 32 | lo;
	r->off += 8;
	return 0;
}

/* rdstr: u32 n (1..max, the NUL counted), n bytes ending in the only NUL. */
static int rdstr(struct reader *r, uint32_t max, const char **s, uint32_t *slen)
{
	uint32_t n;

	if (rd32(r, &n) < 0)
		return -1;
	if (n == 0 || n > max)
		return fail(r, "string of %u bytes (1..%u)", n, max);
	if (r->end - r->off < n)
		return fail(r, "truncated");
	if (r->b[r->off + n - 1] != 0 || memchr(r->b + r->off, 0, n - 1) != NULL)
		return fail(r, "string not NUL-terminated, or with a NUL inside");
	*s = (const char *)r->b + r->off;
	if (slen)
		*slen = n - 1;
	r->off += n;
	return 0;
}

static int rdcount(struct reader *r, uint32_t *n)
{
	if (rd32(r, n) < 0)
		return -1;
	if (*n > RT_PLAN_MAX_LIST)
		return fail(r, "list of %u, at most %u", *n, RT_PLAN_MAX_LIST);
	return 0;
}

static int rdfield(struct reader *r, char kind, struct rt_plan_field *f)
{
	uint32_t n, i;

	f->kind = kind;
	switch (kind) {
	case RT_F_U64:
		return rd64(r, &f->u64);
	case RT_F_STR:
		return rdstr(r, RT_PLAN_MAX_STR, &f->str, &f->len);
	case RT_F_PATH:
		return rdstr(r, RT_PLAN_MAX_PATH, &f->str, &f->len);
	case RT_F_BYTES:
		if (rd32(r, &n) < 0)
			return -1;
		if (n > RT_PLAN_MAX_BYTES)
			return fail(r, "%u bytes, at most %u", n, RT_PLAN_MAX_BYTES);
		if (r->end - r->off < n)
			return fail(r, "truncated");
		f->raw = r->b + r->off;
		f->len = n;
		r->off += n;
		return 0;
	case RT_F_U32V:
		if (rdcount(r, &n) < 0)
			return -1;
		if ((r->end - r->off) / 4 < n)
			return fail(r, "truncated");
		f->raw = r->b + r->off;
		f->len = n;
		r->off += 4 * (size_t)n;
		return 0;
	case RT_F_STRV:
		if (rdcount(r, &n) < 0)
			return -1;
		/* Each string takes at least 5 bytes: a count beyond what is
		 * left is refused before anything is allocated for it. */
		if ((r->end - r->off) / 5 < n)
			return fail(r, "truncated");
		f->strv = calloc((size_t)n + 1, sizeof(char *));
		if (!f->strv)
			return fail(r, "out of memory");
		f->len = n;
		for (i = 0; i < n; i++)
			if (rdstr(r, RT_PLAN_MAX_STR, (const char **)&f->strv[i], NULL) < 0)
				return -1;
		return 0;
	}
	return fail(r, "bad field kind");
}

static int rdentry(struct reader *r, struct rt_plan_entry *e)
{
	const struct rt_plan_opspec *spec;
	const char *k;
	uint32_t i;

	if (rd16(r, &e->op) < 0)
		return -1;
	if (e->op == 0 || e->op >= RT_OP_END)
		return fail(r, "unknown op %u", e->op);
	spec = &rt_plan_ops[e->op];
	if (rdstr(r, RT_PLAN_MAX_NAME, &e->name, NULL) < 0) {
		char why[128];

		snprintf(why, sizeof(why), "%s", r->err);
		return fail(r, "name: %s", why);
	}
	for (k = spec->kinds, i = 0; *k; k++, i++) {
		if (rdfield(r, *k, &e->f[i]) < 0) {
			char why[128];

			e->nfields = i + 1; /* so a partial strv is freed */
			snprintf(why, sizeof(why), "%s", r->err);
			return fail(r, "%s %s field %u: %s", e->name, spec->name, i, why);
		}
	}
	e->nfields = i;
	return 0;
}

void rt_plan_free(struct rt_plan *p)
{
	uint32_t i, j;

	if (!p->e)
		return;
	for (i = 0; i < p->n; i++)
		for (j = 0; j < p->e[i].nfields; j++)
			free(p->e[i].f[j].strv);
	free(p->e);
	p->e = NULL;
	p->n = 0;
}

int rt_plan_decode(const unsigned char *buf, size_t len, struct rt_plan *p, char *err, size_t errlen)
{
	struct reader r = {buf, RT_PLAN_HEADER, len, err, errlen};
	uint32_t count, size, i;

	memset(p, 0, sizeof(*p));
	if (len < RT_PLAN_HEADER || len > RT_PLAN_MAX_SIZE)
		return fail(&r, "plan: size %zu (%u..%u)", len, RT_PLAN_HEADER, RT_PLAN_MAX_SIZE);
	if (memcmp(buf, RT_PLAN_MAGIC, 4) != 0)
		return fail(&r, "plan: bad magic");
	if ((buf[4] | buf[5] << 8) != RT_PLAN_VERSION)
		return fail(&r, "plan: version %u, want %u", buf[4] | buf[5] << 8, RT_PLAN_VERSION);
	if (buf[6] | buf[7])
		return fail(&r, "plan: reserved header field set");
	if (le32(buf + 8) != len)
		return fail(&r, "plan: header says %u bytes, got %zu", le32(buf + 8), len);
	count = le32(buf + 12);
	if (count > RT_PLAN_MAX_ENTRIES)
		return fail(&r, "plan: %u entries, at most %u", count, RT_PLAN_MAX_ENTRIES);
	p->e = calloc(count ? count : 1, sizeof(*p->e));
	if (!p->e)
		return fail(&r, "plan: out of memory");
	for (i = 0; i < count; i++) {
		char why[192];

		r.end = len;
		if (rd32(&r, &size) < 0 || len - r.off < size) {
			rt_plan_free(p);
			return fail(&r, "plan: entry %u: truncated", i);
		}
		r.end = r.off + size;
		p->n = i + 1;
		if (rdentry(&r, &p->e[i]) < 0) {
			snprintf(why, sizeof(why), "%s", r.err);
			rt_plan_free(p);
			return fail(&r, "plan: entry %u: %s", i, why);
		}
		if (r.off != r.end) {
			rt_plan_free(p);
			return fail(&r, "plan: entry %u: %zu bytes left over", i, r.end - r.off);
		}
	}
	if (r.off != len) {
		rt_plan_free(p);
		return fail(&r, "plan: %zu bytes after the last entry", len - r.off);
	}
	return 0;
}
