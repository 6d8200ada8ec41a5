/* The plan executor: the steps of a decoded plan (plan.h), carried out one
 * by one in the process stage 0 leaves in the container's namespaces, then
 * execve of the workload. No Go runtime starts. Mechanism only: every
 * decision was made by the parent (libcontainer/parent_plan.go); the
 * messages are the Go init's (init_*.go), so the parent's errors read the
 * same whichever ran.
 *
 * A failing step sends the parent the framed "error" message the Go init
 * would (sync.go: 4-byte big-endian length, JSON), with the errno, after
 * closing the log pipe, and exits 1. A failed execve is the workload's
 * failure, as in the Go init: one line on stderr, exit 255. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <termios.h>
#include <sys/mount.h>
#include <unistd.h>

#include "plan.h"
#include "plan_exec.h"
#include "plan_run.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif


/* errstr is strerror as Go spells errno texts: the first letter small. */
const char *rt_errstr(int e, char *buf, size_t len)
{
	snprintf(buf, len, "%s", strerror(e));
	if (buf[0] && isupper((unsigned char)buf[0]) && !(buf[1] && isupper((unsigned char)buf[1])))
		buf[0] = (char)tolower((unsigned char)buf[0]);
	return buf;
}

static void plan_writeall(int fd, const char *b, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		b += w;
		n -= (size_t)w;
	}
}

/* jsonstr appends s to out as a JSON string; out has room for 6 bytes a
 * byte of s plus the quotes (the callers bound s). */
static size_t jsonstr(char *out, const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			out[n++] = '\\';
			out[n++] = (char)c;
		} else if (c < 0x20) {
			n += (size_t)sprintf(out + n, "\\u%04x", c);
		} else {
			out[n++] = (char)c;
		}
	}
	out[n++] = '"';
	return n;
}

void rt_logdebug(struct run *r, const char *msg)
{
	char line[512];
	size_t n;

	if (r->logfd < 0 || !r->debug || strlen(msg) > 64)
		return;
	n = (size_t)sprintf(line, "{\"level\":\"debug\",\"msg\":");
	n += jsonstr(line + n, msg);
	line[n++] = '}';
	line[n++] = '\n';
	plan_writeall(r->logfd, line, n);
}

void rt_closelog(struct run *r)
{
	if (r->logfd >= 0)
		close(r->logfd);
	r->logfd = -1;
}

/* sendmsg_type frames {"type":t[,"error":msg,"errno":e]} to the parent. */
void rt_sendsync(struct run *r, const char *type, const char *msg, int e)
{
	static char body[4 + 6 * 1024 + 128];
	size_t n = 4;

	n += (size_t)sprintf(body + n, "{\"type\":\"%s\"", type);
	if (msg) {
		n += (size_t)sprintf(body + n, ",\"error\":");
		n += jsonstr(body + n, msg);
		if (e)
			n += (size_t)sprintf(body + n, ",\"errno\":%d", e);
	}
	body[n++] = '}';
	body[0] = (char)((n - 4) >> 24);
	body[1] = (char)((n - 4) >> 16);
	body[2] = (char)((n - 4) >> 8);
	body[3] = (char)(n - 4);
	plan_writeall(r->sock, body, n);
}

void rt_sendraw(struct run *r, const char *body)
{
	char buf[4 + 256];
	size_t n = strlen(body);

	if (n > 256)
		n = 256;
	buf[0] = buf[1] = 0;
	buf[2] = (char)(n >> 8);
	buf[3] = (char)n;
	memcpy(buf + 4, body, n);
	plan_writeall(r->sock, buf, n + 4);
}

/* report ends the process with msg as the Go init would: before "ready"
 * the framed error to the parent; after it (the sync socket closed) a line
 * on stderr; after rt start (wait-start), the text to the exec result fifo
 * that rt start reads (startFailed), or stderr when that fails. */
static void report(struct run *r, const char *msg, int e) __attribute__((noreturn));
static void report(struct run *r, const char *msg, int e)
{
	if (r->started) {
		size_t n = strlen(msg);
		ssize_t w = -1;

		if (r->result >= 0)
			do
				w = write(r->result, msg, n);
			while (w < 0 && errno == EINTR);
		if (w != (ssize_t)n)
			fprintf(stderr, "rt: %s\n", msg);
		_exit(1);
	}
	if (r->sock < 0) {
		fprintf(stderr, "rt init: %s\n", msg);
		_exit(1);
	}
	rt_closelog(r);
	rt_sendsync(r, "error", msg, e);
	_exit(1);
}

/* step_failx reports the text fmt makes, as it is, with errno e. */
void rt_step_failx(struct run *r, int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void rt_step_failx(struct run *r, int e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	report(r, msg, e);
}

/* fail reports the step's failure: the text fmt makes, then ": <errno
 * text>" when e is not 0, and exits. */
void rt_step_fail(struct run *r, int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
void rt_step_fail(struct run *r, int e, const char *fmt, ...)
{
	char msg[1024], eb[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = sizeof(msg) - 1;
	if (e)
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s", rt_errstr(e, eb, sizeof(eb)));
	report(r, msg, e);
}

/* quote is Go's %q for the plain strings paths are (", \ and controls escaped). */
const char *rt_quote(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (len < 8)
		return "\"\"";
	buf[n++] = '"';
	for (; *s && n + 6 < len; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[n++] = '\\';
			buf[n++] = (char)c;
		} else if (c < 0x20 || c == 0x7f) {
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
		} else {
			buf[n++] = (char)c;
		}
	}
	buf[n++] = '"';
	buf[n] = '\0';
	return buf;
}

int rt_openat2_in_root(int dirfd, const char *path, uint64_t flags)
{
	struct open_how how = {
		.flags = flags | O_CLOEXEC,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	return (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

static const char *const rlimit_names[] = {
	[RLIMIT_CPU] = "RLIMIT_CPU", [RLIMIT_FSIZE] = "RLIMIT_FSIZE", [RLIMIT_DATA] = "RLIMIT_DATA",
	[RLIMIT_STACK] = "RLIMIT_STACK", [RLIMIT_CORE] = "RLIMIT_CORE", [RLIMIT_RSS] = "RLIMIT_RSS",
	[RLIMIT_NPROC] = "RLIMIT_NPROC", [RLIMIT_NOFILE] = "RLIMIT_NOFILE", [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",
	[RLIMIT_AS] = "RLIMIT_AS", [RLIMIT_LOCKS] = "RLIMIT_LOCKS", [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
	[RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE", [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",
	[RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *const cap_names[] = {
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_DAC_READ_SEARCH", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETPCAP", "CAP_LINUX_IMMUTABLE", "CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST", "CAP_NET_ADMIN", "CAP_NET_RAW", "CAP_IPC_LOCK", "CAP_IPC_OWNER",
	"CAP_SYS_MODULE", "CAP_SYS_RAWIO", "CAP_SYS_CHROOT", "CAP_SYS_PTRACE", "CAP_SYS_PACCT",
	"CAP_SYS_ADMIN", "CAP_SYS_BOOT", "CAP_SYS_NICE", "CAP_SYS_RESOURCE", "CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG", "CAP_MKNOD", "CAP_LEASE", "CAP_AUDIT_WRITE", "CAP_AUDIT_CONTROL",
	"CAP_SETFCAP", "CAP_MAC_OVERRIDE", "CAP_MAC_ADMIN", "CAP_SYSLOG", "CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND", "CAP_AUDIT_READ", "CAP_PERFMON", "CAP_BPF", "CAP_CHECKPOINT_RESTORE",
};

static const char *capname(unsigned n, char *buf, size_t len)
{
	if (n < sizeof(cap_names) / sizeof(cap_names[0]))
		return cap_names[n];
	snprintf(buf, len, "capability %u", n);
	return buf;
}

#ifndef TIOCGPTPEER
#define TIOCGPTPEER _IO('T', 0x41)
#endif

/* sendfd frames {"type":"console"} to the parent with fd attached. */
static void send_console(struct run *r, int fd)
{
	char body[64], cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr mh = {0};
	struct cmsghdr *c;
	size_t n = 4;
	ssize_t w;

	n += (size_t)sprintf(body + n, "{\"type\":\"console\"}");
	body[0] = body[1] = body[2] = 0;
	body[3] = (char)(n - 4);
	iov.iov_base = body;
	iov.iov_len = n;
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	rt_logdebug(r, "init: sync: send console");
	do
		w = sendmsg(r->sock, &mh, 0);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		rt_step_fail(r, errno, "write sync console");
	if ((size_t)w < n)
		plan_writeall(r->sock, body + w, n - (size_t)w);
}

/* console_target is consoleTarget: /dev/console as the image has it (a
 * regular file or a character device, never followed if a link), or a new
 * empty file. -1 with errno, or -2 with the text in why. */
static int console_target(int dev, char *why, size_t len)
{
	struct stat st;
	int fd = openat(dev, "console", O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return openat(dev, "console", O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	if (S_ISREG(st.st_mode) || S_ISCHR(st.st_mode))
		return fd;
	close(fd);
	if (S_ISLNK(st.st_mode)) {
		errno = ELOOP;
		return -1;
	}
	snprintf(why, len, "%s in the image, not a regular file or character device",
		 S_ISFIFO(st.st_mode)  ? "a FIFO"
		 : S_ISSOCK(st.st_mode) ? "a socket"
		 : S_ISDIR(st.st_mode)  ? "a directory"
		 : S_ISBLK(st.st_mode)  ? "a block device"
					: "an unknown file type");
	return -2;
}

/* bind_console is bindConsole: the pty slave bound on the container's
 * /dev/console (resolved in the root, no path through /proc). */
static void bind_console(struct run *r, int slave)
{
	char why[128];
	int root, dev, target, tree;

	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		rt_step_fail(r, errno, "open /");
	dev = rt_openat2_in_root(root, "dev", O_PATH);
	if (dev < 0)
		rt_step_fail(r, errno, "open /dev: open in rootfs /dev");
	close(root);
	target = console_target(dev, why, sizeof(why));
	if (target == -2)
		rt_step_failx(r, 0, "create /dev/console: %s", why);
	if (target < 0)
		rt_step_fail(r, errno, "create /dev/console");
	close(dev);
	tree = (int)syscall(SYS_open_tree, slave, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		rt_step_fail(r, errno, "clone pty for /dev/console");
	if (syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
		rt_step_fail(r, errno, "bind /dev/console");
	close(tree);
	close(target);
}

/* do_console is setupConsole: a pty from the container's /dev/ptmx, the slave opened through
 * the master (TIOCGPTPEER, no path the container could swap), the master
 * to the parent, the slave as controlling terminal and stdio. */
static void do_console(struct run *r, uint64_t width, uint64_t height, uint64_t devconsole)
{
	int ptmx, slave, unlock = 0, fd;

	ptmx = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (ptmx < 0)
		rt_step_fail(r, errno, "open /dev/ptmx");
	if (ioctl(ptmx, TIOCSPTLCK, &unlock) < 0)
		rt_step_fail(r, errno, "unlock pty");
	slave = ioctl(ptmx, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (slave < 0)
		rt_step_fail(r, errno, "open pty slave");
	if (width || height) {
		struct winsize ws = {.ws_row = (unsigned short)height, .ws_col = (unsigned short)width};
		if (ioctl(ptmx, TIOCSWINSZ, &ws) < 0)
			rt_step_fail(r, errno, "set console size");
	}
	if (devconsole)
		bind_console(r, slave);
	send_console(r, ptmx);
	close(ptmx);
	if (ioctl(slave, TIOCSCTTY, 0) < 0)
		rt_step_fail(r, errno, "set controlling terminal");
	for (fd = 0; fd < 3; fd++)
		if (dup3(slave, fd, 0) < 0)
			rt_step_fail(r, errno, "dup pty onto fd %d", fd);
	close(slave);
}

static void do_affinity(struct run *r, const struct rt_plan_field *cpus, const char *list)
{
	char q[256];

	cpu_set_t set;
	uint32_t i;

	CPU_ZERO(&set);
	if (cpus->len == 0) {
		for (i = 0; i < CPU_SETSIZE; i++)
			CPU_SET(i, &set);
	} else {
		for (i = 0; i < cpus->len; i++)
			if (rt_plan_u32(cpus, i) < CPU_SETSIZE)
				CPU_SET(rt_plan_u32(cpus, i), &set);
	}
	if (sched_setaffinity(0, sizeof(set), &set) < 0) {
		if (!*list)
			rt_step_fail(r, errno, "reset CPU affinity");
		rt_step_fail(r, errno, "set CPU affinity %s", rt_quote(list, q, sizeof(q)));
	}
}

#define MPOL_WORDS 16 /* nodes 0..1023, as the parent's nodeMask */

/* do_mempolicy is applyMemoryPolicy, with its explanations of a refusal. */
static void do_mempolicy(struct run *r, const struct rt_plan_entry *e)
{
	unsigned long mask[MPOL_WORDS] = {0}, allowed[MPOL_WORDS] = {0};
	const struct rt_plan_field *nodes = &e->f[1];
	const char *mode = e->f[2].str, *flags = e->f[3].str, *list = e->f[4].str;
	char eb[128], q[256], usable[1024];
	uint32_t i;
	int err, any = 0;
	size_t n = 0;

	for (i = 0; i < nodes->len; i++) {
		uint32_t node = rt_plan_u32(nodes, i);
		if (node < MPOL_WORDS * 64)
			mask[node / 64] |= 1UL << (node % 64);
	}
	if (syscall(SYS_set_mempolicy, (int)e->f[0].u64, nodes->len ? mask : NULL,
		    nodes->len ? (unsigned long)(MPOL_WORDS * 64 + 1) : 0UL) == 0)
		return;
	err = errno;
	rt_errstr(err, eb, sizeof(eb));
	rt_quote(list, q, sizeof(q));
	if (err == ENOSYS)
		rt_step_failx(r, err, "linux.memoryPolicy: this kernel has no NUMA memory policies (set_mempolicy: %s)", eb);
	if (err == EINVAL && nodes->len && !e->f[5].u64 &&
	    syscall(SYS_get_mempolicy, NULL, allowed, (unsigned long)(MPOL_WORDS * 64 + 1), NULL, 4 /* MPOL_F_MEMS_ALLOWED */) == 0) {
		for (i = 0; i < MPOL_WORDS; i++)
			any |= (mask[i] & allowed[i]) != 0;
		if (!any) {
			usable[0] = '\0';
			for (i = 0; i < MPOL_WORDS * 64 && n + 8 < sizeof(usable); i++)
				if (allowed[i / 64] & (1UL << (i % 64)))
					n += (size_t)snprintf(usable + n, sizeof(usable) - n, "%s%u", n ? "," : "", i);
			rt_step_failx(r, err, "linux.memoryPolicy.nodes: no node of %s is on this machine or allowed to the container (usable nodes: %s): set_mempolicy: %s",
				   q, usable, eb);
		}
	}
	rt_step_failx(r, err, "linux.memoryPolicy: mode %s, flags %s, nodes %s: set_mempolicy: %s", mode, flags, q, eb);
}

/* do_scheduler is applyScheduler: attr is the parent's struct sched_attr. */
static void do_scheduler(struct run *r, const struct rt_plan_field *attr, const char *policy, const char *cpuset)
{
	uint64_t a[8] = {0}; /* 56 bytes, aligned */
	char q[256];

	if (attr->len < 48 || attr->len > sizeof(a))
		rt_step_fail(r, EINVAL, "set scheduler %s: a sched_attr of %u bytes", policy, attr->len);
	memcpy(a, attr->raw, attr->len);
	if (syscall(SYS_sched_setattr, 0, a, 0) < 0) {
		int e = errno;

		if (e == EPERM && *cpuset)
			rt_step_fail(r, e, "set scheduler %s: process scheduler can't be used together with AllowedCPUs (linux.resources.cpu.cpus %s)",
				  policy, rt_quote(cpuset, q, sizeof(q)));
		rt_step_fail(r, e, "set scheduler %s", policy);
	}
}

static void do_rlimit(struct run *r, uint64_t res, uint64_t soft, uint64_t hard)
{
	struct rlimit rl = {.rlim_cur = soft, .rlim_max = hard};
	const char *name = res < sizeof(rlimit_names) / sizeof(rlimit_names[0]) ? rlimit_names[res] : NULL;

	if (!name)
		rt_step_fail(r, EINVAL, "rlimit %llu", (unsigned long long)res);
	if (setrlimit((int)res, &rl) < 0)
		rt_step_fail(r, errno, "set %s to %llu/%llu", name, (unsigned long long)soft, (unsigned long long)hard);
}

/* do_chdir is chdirInRoot: the cwd resolved in /, no magic link, getcwd
 * inside the root (CVE-2024-21626). */
static void do_chdir(struct run *r, const char *cwd)
{
	char q[PATH_MAX + 64], wd[PATH_MAX], qw[PATH_MAX + 64];
	int root, d;

	rt_quote(cwd, q, sizeof(q));
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		rt_step_fail(r, errno, "chdir to cwd (%s) set in config.json failed", q);
	d = rt_openat2_in_root(root, cwd, O_PATH | O_DIRECTORY);
	if (d < 0)
		rt_step_fail(r, errno, "chdir to cwd (%s) set in config.json failed", q);
	close(root);
	if (fchdir(d) < 0)
		rt_step_fail(r, errno, "chdir to cwd (%s) set in config.json failed", q);
	close(d);
	if (!getcwd(wd, sizeof(wd)))
		wd[0] = '\0';
	if (wd[0] != '/')
		rt_step_fail(r, 0, "chdir to cwd (%s) set in config.json failed: working directory %s is outside the container's root: possible breakout",
		     q, rt_quote(wd, qw, sizeof(qw)));
}

#define MAX_PASSWD (4 << 20)
#define MAX_PASSWD_LINE (64 << 10)

/* home_of is homeDir: uid's home in the container's /etc/passwd (opened
 * in the root, a regular file only, at most 4 MiB read), "/" without one.
 * The answer is written into out. */
static void home_of(uint64_t uid, char *out, size_t outlen)
{
	char *buf, *line, *end, *f[7];
	size_t n = 0;
	ssize_t got;
	struct stat st;
	int root, fd, nf;

	snprintf(out, outlen, "/");
	root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return;
	fd = rt_openat2_in_root(root, "/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY);
	close(root);
	if (fd < 0)
		return;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || !(buf = malloc(MAX_PASSWD + 1))) {
		close(fd);
		return;
	}
	while (n < MAX_PASSWD && (got = read(fd, buf + n, MAX_PASSWD - n)) != 0) {
		if (got < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		n += (size_t)got;
	}
	close(fd);
	buf[n] = '\0';
	for (line = buf; line < buf + n; line = end + 1) {
		char *p, *s, *e, *stop;
		unsigned long long id;

		end = memchr(line, '\n', (size_t)(buf + n - line));
		if (!end)
			end = buf + n;
		/* A line the Go init's scanner cannot hold ends the search there. */
		if ((size_t)(end - line) > MAX_PASSWD_LINE)
			break;
		*end = '\0';
		for (s = line; *s && isspace((unsigned char)*s); s++)
			;
		for (e = s + strlen(s); e > s && isspace((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		if (!*s)
			continue;
		/* name:password:uid:gid:gecos:home:shell, split as SplitN(line, ":", 7) */
		for (nf = 0, p = s;;) {
			f[nf++] = p;
			if (nf == 7 || !(p = strchr(p, ':')))
				break;
			*p++ = '\0';
		}
		if (nf < 6)
			continue;
		if (!f[2][0] || strspn(f[2], "0123456789") != strlen(f[2]))
			continue;
		errno = 0;
		id = strtoull(f[2], &stop, 10);
		if (errno || id > 0xffffffffULL || id != uid)
			continue;
		snprintf(out, outlen, "%s", f[5]);
		break;
	}
	free(buf);
}

static void do_env(struct run *r, const struct rt_plan_field *vars, uint64_t uid, uint64_t lookup)
{
	static char home[PATH_MAX + 8];
	uint32_t i;

	r->env = calloc((size_t)vars->len + 2, sizeof(char *));
	if (!r->env)
		rt_step_fail(r, ENOMEM, "environment");
	for (i = 0; i < vars->len; i++)
		r->env[i] = vars->strv[i];
	if (lookup) {
		char h[PATH_MAX];

		home_of(uid, h, sizeof(h));
		snprintf(home, sizeof(home), "HOME=%s", h);
		r->env[i++] = home;
	}
	r->env[i] = NULL;
}

/* executable is the Go init's check of a path to exec: 0, or the text of
 * why not. */
static int executable(const char *p, char *why, size_t len)
{
	struct stat st;
	char eb[128];

	if (stat(p, &st) < 0) {
		snprintf(why, len, "stat %s: %s", p, rt_errstr(errno, eb, sizeof(eb)));
		return -1;
	}
	if (S_ISDIR(st.st_mode)) {
		snprintf(why, len, "is a directory");
		return -1;
	}
	if (!(st.st_mode & 0111)) {
		snprintf(why, len, "permission denied");
		return -1;
	}
	return 0;
}

/* join is filepath.Join(dir, name) for a PATH entry and a plain name. */
static int join(char *out, size_t len, const char *dir, size_t dlen, const char *name)
{
	size_t n = 0, i;

	if (dlen == 0 || (dlen == 1 && dir[0] == '.'))
		return snprintf(out, len, "%s", name) >= (int)len ? -1 : 0;
	for (i = 0; i < dlen && n + 1 < len; i++) {
		if (dir[i] == '/' && n > 0 && out[n - 1] == '/')
			continue;
		out[n++] = dir[i];
	}
	while (n > 1 && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return snprintf(out + n, len - n, "%s%s", (n == 1 && out[0] == '/') ? "" : "/", name) >= (int)(len - n) ? -1 : 0;
}

static void do_lookpath(struct run *r, const char *name)
{
	static char found[PATH_MAX];
	const char *path = "", *p, *colon;
	char why[PATH_MAX + 128], q[PATH_MAX + 64];
	int i;

	rt_quote(name, q, sizeof(q));
	if (strchr(name, '/')) {
		if (executable(name, why, sizeof(why)) < 0)
			rt_step_fail(r, 0, "exec: %s: %s", q, why);
		r->path = (char *)name;
		return;
	}
	for (i = 0; r->env && r->env[i]; i++)
		if (!strncmp(r->env[i], "PATH=", 5))
			path = r->env[i] + 5;
	for (p = path; *path; p = colon + 1) {
		colon = strchr(p, ':');
		if (!colon)
			colon = p + strlen(p);
		if (join(found, sizeof(found), p, (size_t)(colon - p), name) == 0 &&
		    executable(found, why, sizeof(why)) == 0) {
			r->path = found;
			return;
		}
		if (!*colon)
			break;
	}
	rt_step_fail(r, 0, "exec: %s: executable file not found in $PATH", q);
}

static void do_seccomp(struct run *r, uint64_t flags, const struct rt_plan_field *bpf)
{
	struct sock_fprog prog;
	struct sock_filter *insns;

	if (bpf->len == 0 || bpf->len % sizeof(struct sock_filter) || bpf->len / sizeof(struct sock_filter) > 4096)
		rt_step_fail(r, EINVAL, "seccomp: %u bytes is no BPF program", bpf->len);
	insns = malloc(bpf->len); /* aligned, unlike the plan's bytes */
	if (!insns)
		rt_step_fail(r, ENOMEM, "seccomp");
	memcpy(insns, bpf->raw, bpf->len);
	prog.len = (unsigned short)(bpf->len / sizeof(struct sock_filter));
	prog.filter = insns;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, (unsigned long)flags, &prog) < 0)
		rt_step_fail(r, errno, "seccomp: load seccomp filter (seccomp(2), flags 0x%llx)", (unsigned long long)flags);
	free(insns);
}

static void do_bounding(struct run *r, uint64_t keep, uint64_t last)
{
	char nb[32];
	uint64_t n;

	for (n = 0; n <= last && n < 64; n++) {
		if (keep & (1ULL << n))
			continue;
		if (prctl(PR_CAPBSET_DROP, (unsigned long)n, 0, 0, 0) < 0)
			rt_step_fail(r, errno, "drop %s from the bounding set", capname((unsigned)n, nb, sizeof(nb)));
	}
}

static void do_setgroups(struct run *r, const struct rt_plan_field *gids)
{
	char list[1024];
	gid_t *g = NULL;
	size_t n = 0;
	uint32_t i;

	if (gids->len) {
		g = calloc(gids->len, sizeof(gid_t));
		if (!g)
			rt_step_fail(r, ENOMEM, "setgroups");
		for (i = 0; i < gids->len; i++)
			g[i] = rt_plan_u32(gids, i);
	}
	if (syscall(SYS_setgroups, (size_t)gids->len, g) < 0) {
		int e = errno;

		if (e == EPERM && gids->len == 0)
			return; /* setgroups denied in this user namespace, nothing to drop */
		list[n++] = '[';
		for (i = 0; i < gids->len && n + 16 < sizeof(list); i++)
			n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%u", i ? " " : "", rt_plan_u32(gids, i));
		snprintf(list + n, sizeof(list) - n, "]");
		rt_step_fail(r, e, "setgroups %s", list);
	}
	free(g);
}

static void do_capabilities(struct run *r, uint64_t eff, uint64_t perm, uint64_t inh, uint64_t amb)
{
	struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3};
	struct __user_cap_data_struct data[2];
	char nb[32];
	unsigned n;
	int i;

	for (i = 0; i < 2; i++) {
		data[i].effective = (uint32_t)(eff >> (32 * i));
		data[i].permitted = (uint32_t)(perm >> (32 * i));
		data[i].inheritable = (uint32_t)(inh >> (32 * i));
	}
	if (syscall(SYS_capset, &hdr, data) < 0)
		rt_step_fail(r, errno, "capset (effective 0x%llx, permitted 0x%llx, inheritable 0x%llx)", (unsigned long long)eff,
		     (unsigned long long)perm, (unsigned long long)inh);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0)
		rt_step_fail(r, errno, "clear the ambient set");
	for (n = 0; n < 64; n++)
		if ((amb & (1ULL << n)) && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, (unsigned long)n, 0, 0) < 0)
			rt_step_fail(r, errno, "raise ambient %s (it must be in permitted and inheritable)", capname(n, nb, sizeof(nb)));
}

/* do_close_from makes every fd >= from close-on-exec (closeOnExecFrom). */
static void do_close_from(struct run *r, uint64_t from)
{
	if (from > 0x7fffffff)
		rt_step_fail(r, EINVAL, "close fds from %llu", (unsigned long long)from);
	DIR *d;
	struct dirent *de;

	if (syscall(SYS_close_range, (unsigned int)from, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return;
	/* Kernels before 5.11 (or a profile refusing close_range): the open
	 * fds, as procfs lists them. */
	d = opendir("/proc/self/fd");
	if (!d)
		rt_step_fail(r, errno, "list fds: open /proc/self/fd");
	while ((de = readdir(d)) != NULL) {
		char *end;
		long fd = strtol(de->d_name, &end, 10);

		if (*end == '\0' && end != de->d_name && fd >= (long)from && fd != dirfd(d))
			fcntl((int)fd, F_SETFD, FD_CLOEXEC);
	}
	closedir(d);
}

static void do_ready(struct run *r)
{
	rt_logdebug(r, "init: sync: send ready");
	rt_closelog(r);
	rt_sendsync(r, "ready", NULL, 0);
	close(r->sock);
	r->sock = -1;
}

static void do_exec(struct run *r, char **args)
{
	char eb[128];

	if (!r->path || !args[0]) {
		fprintf(stderr, "exec: no program to run\n");
		_exit(255);
	}
	execve(r->path, args, r->env ? r->env : (char *[]){NULL});
	fprintf(stderr, "exec %s: %s\n", r->path, rt_errstr(errno, eb, sizeof(eb)));
	_exit(255);
}

/* The ops this executor carries out; the parent sends only plans made of
 * them (planExecutable in libcontainer/parent_plan.go, held equal to this
 * table by a test). */
static const unsigned char runnable[RT_OP_END] = {
	[RT_OP_PROPAGATION] = 1, [RT_OP_BIND_ROOTFS] = 1, [RT_OP_MOUNT] = 1, [RT_OP_BIND] = 1, [RT_OP_MOUNT_ATTR] = 1,
	[RT_OP_MKDIR] = 1, [RT_OP_MKNOD] = 1, [RT_OP_SYMLINK] = 1, [RT_OP_REMOUNT_RO] = 1, [RT_OP_REMOUNT] = 1,
	[RT_OP_HOOKS] = 1, [RT_OP_SYSCTL] = 1, [RT_OP_OOM_SCORE_ADJ] = 1, [RT_OP_PIVOT_ROOT] = 1,
	[RT_OP_READONLY_PATH] = 1, [RT_OP_MASK_PATH] = 1, [RT_OP_ROOT_READONLY] = 1, [RT_OP_REOPEN_DEV_NULL] = 1,
	[RT_OP_LOOPBACK_UP] = 1, [RT_OP_HOSTNAME] = 1, [RT_OP_DOMAINNAME] = 1, [RT_OP_SESSION_KEYRING] = 1,
	[RT_OP_WAIT_START] = 1,
	[RT_OP_SETSID] = 1, [RT_OP_CONSOLE] = 1, [RT_OP_AFFINITY] = 1, [RT_OP_RLIMIT] = 1, [RT_OP_CHDIR] = 1, [RT_OP_ENV] = 1,
	[RT_OP_LOOK_PATH] = 1, [RT_OP_SECCOMP] = 1, [RT_OP_KEEP_CAPS] = 1, [RT_OP_CAP_BOUNDING] = 1,
	[RT_OP_CHOWN_TTY] = 1, [RT_OP_SETGROUPS] = 1, [RT_OP_SETGID] = 1, [RT_OP_SETUID] = 1,
	[RT_OP_CAPABILITIES] = 1, [RT_OP_UMASK] = 1, [RT_OP_NO_NEW_PRIVS] = 1, [RT_OP_CLOSE_FROM] = 1,
	[RT_OP_READY] = 1, [RT_OP_EXEC] = 1, [RT_OP_SCHEDULER] = 1, [RT_OP_IO_PRIORITY] = 1, [RT_OP_PERSONALITY] = 1,
	[RT_OP_MEM_POLICY] = 1,
};

int rt_plan_runnable(unsigned op)
{
	return op < RT_OP_END && runnable[op];
}

#define U(i) (e->f[i].u64)

void rt_plan_run(int sock, int logfd, int debug, const struct rt_plan *p)
{
	struct run run = {.sock = sock, .logfd = logfd, .debug = debug, .root = -1, .bindmnt = -1, .null = -1,
			  .masktmpfs = -1, .result = -1};
	struct run *r = &run;
	char msg[64];
	uint32_t i;

	if (logfd >= 0)
		fcntl(logfd, F_SETFD, FD_CLOEXEC);
	snprintf(msg, sizeof(msg), "init: plan: %u steps", p->n);
	rt_logdebug(r, msg);
	/* A step this executor cannot do fails the plan before the first one. */
	for (i = 0; i < p->n; i++)
		if (!rt_plan_runnable(p->e[i].op))
			rt_step_fail(r, 0, "plan: %s: step %s is not executable yet", p->e[i].name, rt_plan_ops[p->e[i].op].name);
	for (i = 0; i < p->n; i++) {
		const struct rt_plan_entry *e = &p->e[i];

		r->e = e;
		if (rt_rootfs_step(r, e))
			continue;
		switch (e->op) {
		case RT_OP_SETSID:
			if (setsid() < 0)
				rt_step_fail(r, errno, "setsid");
			break;
		case RT_OP_CONSOLE:
			do_console(r, U(0), U(1), U(2));
			break;
		case RT_OP_AFFINITY:
			do_affinity(r, &e->f[0], e->f[1].str);
			break;
		case RT_OP_SCHEDULER:
			do_scheduler(r, &e->f[0], e->f[1].str, e->f[2].str);
			break;
		case RT_OP_IO_PRIORITY:
			if (syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, (int)U(0)) < 0)
				rt_step_fail(r, errno, "set I/O priority %s/%llu", e->f[1].str, (unsigned long long)U(2));
			break;
		case RT_OP_MEM_POLICY:
			do_mempolicy(r, e);
			break;
		case RT_OP_PERSONALITY:
			if (syscall(SYS_personality, (unsigned long)U(0)) < 0)
				rt_step_fail(r, errno, "set personality %s", e->f[1].str);
			break;
		case RT_OP_RLIMIT:
			do_rlimit(r, U(0), U(1), U(2));
			break;
		case RT_OP_CHDIR:
			do_chdir(r, e->f[0].str);
			break;
		case RT_OP_ENV:
			do_env(r, &e->f[0], U(1), U(2));
			break;
		case RT_OP_LOOK_PATH:
			do_lookpath(r, e->f[0].str);
			break;
		case RT_OP_SECCOMP:
			do_seccomp(r, U(0), &e->f[1]);
			break;
		case RT_OP_KEEP_CAPS:
			if (prctl(PR_SET_KEEPCAPS, U(0) ? 1 : 0, 0, 0, 0) < 0)
				rt_step_fail(r, errno, "prctl(PR_SET_KEEPCAPS)");
			break;
		case RT_OP_CAP_BOUNDING:
			do_bounding(r, U(0), U(1));
			break;
		case RT_OP_CHOWN_TTY:
			if (fchown(0, (uid_t)U(0), (gid_t)-1) < 0)
				rt_step_fail(r, errno, "chown the terminal to uid %llu", (unsigned long long)U(0));
			break;
		case RT_OP_SETGROUPS:
			do_setgroups(r, &e->f[0]);
			break;
		case RT_OP_SETGID:
			/* (gid_t)-1 is setresgid's "unchanged": root would stay root. */
			if (U(0) >= 0xffffffffULL)
				rt_step_fail(r, EINVAL, "setgid %llu", (unsigned long long)U(0));
			if (syscall(SYS_setresgid, (gid_t)U(0), (gid_t)U(0), (gid_t)U(0)) < 0)
				rt_step_fail(r, errno, "setgid %llu", (unsigned long long)U(0));
			break;
		case RT_OP_SETUID:
			if (U(0) >= 0xffffffffULL)
				rt_step_fail(r, EINVAL, "setuid %llu", (unsigned long long)U(0));
			if (syscall(SYS_setresuid, (uid_t)U(0), (uid_t)U(0), (uid_t)U(0)) < 0)
				rt_step_fail(r, errno, "setuid %llu", (unsigned long long)U(0));
			break;
		case RT_OP_CAPABILITIES:
			do_capabilities(r, U(0), U(1), U(2), U(3));
			break;
		case RT_OP_UMASK:
			umask((mode_t)(U(0) & 0777));
			break;
		case RT_OP_NO_NEW_PRIVS:
			if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
				rt_step_fail(r, errno, "prctl(PR_SET_NO_NEW_PRIVS)");
			break;
		case RT_OP_CLOSE_FROM:
			do_close_from(r, U(0));
			break;
		case RT_OP_READY:
			do_ready(r);
			break;
		case RT_OP_WAIT_START:
			rt_wait_start(r, e);
			break;
		case RT_OP_EXEC:
			do_exec(r, e->f[0].strv);
			break;
		default:
			rt_step_fail(r, 0, "plan: %s: step %s has no executor", e->name, rt_plan_ops[e->op].name);
		}
	}
	rt_step_fail(r, 0, "plan: ended without an exec");
}
