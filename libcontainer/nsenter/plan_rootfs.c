/* The rootfs steps of a plan (rt create's init): what setupRootfs,
 * finishRootfs and the rest of standardInit do in the Go init
 * (libcontainer/init_rootfs.go, init_paths.go, init_mount_proc.go,
 * init_mount_cgroup.go, devices.go, console.go), in C, with the same
 * messages and errnos.
 *
 * Every path inside the rootfs is resolved once, with openat2(RESOLVE_IN_ROOT
 * | RESOLVE_NO_MAGICLINKS) from the rootfs (before pivot_root) or from /
 * (after it), and the mount is made on the fd it gave: new filesystems
 * with fsopen/fsconfig/fsmount, binds with open_tree, both attached with
 * move_mount(MOVE_MOUNT_T_EMPTY_PATH), flags changed with mount_setattr and
 * fspick on the mount's own fd. No container path goes through /proc:
 * /proc/self/fd is only read (readlink, for the /proc destination check),
 * in the host's procfs, before pivot_root. Nothing is created through a
 * link: the last component is made with mkdirat/openat(O_EXCL|O_NOFOLLOW)
 * /mknodat/symlinkat in its parent's fd, then opened again without
 * following links. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "plan.h"
#include "plan_run.h"

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif
#ifndef ST_NOSYMFOLLOW
#define ST_NOSYMFOLLOW 0x2000
#endif
#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

#define U(i) (e->f[i].u64)
#define S(i) (e->f[i].str)

/* The prefix Go's callers add to a step's error ("mount /proc: "). */
static char prefix[RT_PLAN_MAX_PATH + 64];

/* fail is rt_step_fail with the prefix: the text, then ": <errno text>". */
static void rfail(struct run *r, int e, const char *fmt, ...) __attribute__((noreturn, format(printf, 3, 4)));
static void rfail(struct run *r, int e, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	rt_step_fail(r, e, "%s%s", prefix, msg);
}

static int openat2_res(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	struct open_how how = {.flags = flags | O_CLOEXEC, .resolve = resolve};
	int fd;

	do
		fd = (int)syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
	while (fd < 0 && (errno == EINTR || errno == EAGAIN));
	return fd;
}

static int in_root(int root, const char *rel, uint64_t flags)
{
	return openat2_res(root, rel, flags, RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS);
}

/* clean is pathsafe's: filepath.Clean("/" + p) without the leading "/",
 * "." for the root. out has RT_PLAN_MAX_PATH + 2 bytes; -1 if it does not fit. */
static int clean(const char *p, char *out)
{
	size_t n = 0, len;
	const char *s = p, *c;

	while (*s) {
		while (*s == '/')
			s++;
		if (!*s)
			break;
		c = strchr(s, '/');
		len = c ? (size_t)(c - s) : strlen(s);
		if (len == 1 && s[0] == '.') {
		} else if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (n > 0 && out[n - 1] != '/')
				n--;
			if (n > 0)
				n--;
		} else {
			if (n + len + 2 > RT_PLAN_MAX_PATH + 2)
				return -1;
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, s, len);
			n += len;
		}
		s += len;
	}
	if (n == 0)
		out[n++] = '.';
	out[n] = '\0';
	return 0;
}

/* split is filepath.Dir and Base of a cleaned relative path. */
static void split(const char *p, char *dir, char *base)
{
	const char *slash = strrchr(p, '/');

	if (!slash) {
		strcpy(dir, ".");
		strcpy(base, p);
		return;
	}
	memcpy(dir, p, (size_t)(slash - p));
	dir[slash - p] = '\0';
	strcpy(base, slash + 1);
}

#define PBUF (RT_PLAN_MAX_PATH + 2)

/* mkdir_all is pathsafe.mkdirAll: the directory p (cleaned, relative to
 * root), made with its parents; a link on the way is resolved in the
 * root, a component made here is opened with no link followed. An O_PATH
 * fd, or -1 with errno. */
static int mkdir_all(int root, const char *p, mode_t mode, int links)
{
	struct bufs {
		char dir[PBUF], base[PBUF], target[PBUF], joined[PBUF];
	} *buf;
	char *dir, *base, *target;
	int fd, parent, e;
	ssize_t n;

	fd = in_root(root, p, O_PATH | O_DIRECTORY);
	if (fd >= 0 || errno != ENOENT)
		return fd;
	if (!strcmp(p, ".")) {
		errno = ENOENT;
		return -1;
	}
	buf = malloc(sizeof(*buf));
	if (!buf) {
		errno = ENOMEM;
		return -1;
	}
	dir = buf->dir, base = buf->base, target = buf->target;
	split(p, dir, base);
	parent = mkdir_all(root, dir, mode, links);
	if (parent < 0)
		goto out;
	if (mkdirat(parent, base, mode) < 0 && errno != EEXIST) {
		fd = -1;
		goto out;
	}
	fd = openat2_res(parent, base, O_PATH | O_DIRECTORY, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV);
	if (fd >= 0 || errno != ELOOP)
		goto out;
	if (links >= 40) {
		errno = ELOOP;
		goto out;
	}
	n = readlinkat(parent, base, target, PBUF - 1);
	if (n < 0) {
		errno = ELOOP;
		goto out;
	}
	target[n] = '\0';
	{
		char *joined = buf->joined, *cl;

		if (target[0] == '/')
			snprintf(joined, PBUF, "%s", target);
		else if ((size_t)snprintf(joined, PBUF, "%s/%s", dir, target) >= PBUF) {
			errno = ENAMETOOLONG;
			goto out;
		}
		cl = target;
		if (clean(joined, cl) < 0) {
			errno = ENAMETOOLONG;
			goto out;
		}
		close(parent);
		parent = -1;
		fd = mkdir_all(root, cl, mode, links + 1);
	}
out:
	e = errno;
	if (parent >= 0)
		close(parent);
	free(buf);
	errno = e;
	return fd;
}

/* mkdir_in_root is MkdirAllInRoot; on failure the message is Go's
 * PathError ("mkdir in rootfs <path>"). */
static int mkdir_in_root(struct run *r, int root, const char *path, mode_t mode)
{
	char c[PBUF];
	int fd;

	if (clean(path, c) < 0)
		rfail(r, ENAMETOOLONG, "mkdir in rootfs %s", path);
	fd = mkdir_all(root, c, mode, 0);
	if (fd < 0)
		rfail(r, errno, "mkdir in rootfs %s", path);
	return fd;
}

static int open_in_root(int root, const char *path, uint64_t flags)
{
	char c[PBUF];

	if (clean(path, c) < 0) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return in_root(root, c, flags);
}

/* go_dir is filepath.Dir of a path as the plan gives it (Go's messages
 * name it so). */
static const char *go_dir(const char *path, char *out, size_t len)
{
	char c[PBUF + 1], dir[PBUF], base[PBUF];

	if (clean(path, c + 1) < 0) {
		snprintf(out, len, "%s", path);
		return out;
	}
	split(c + 1, dir, base);
	if (path[0] == '/')
		snprintf(out, len, "/%s", strcmp(dir, ".") ? dir : "");
	else
		snprintf(out, len, "%s", dir);
	return out;
}

/* create_in_root is CreateFileInRoot: path opened (O_PATH) if it is there,
 * else made an empty file (mode) in its parent, never through a link. */
static int create_in_root(struct run *r, int root, const char *path, mode_t mode)
{
	char c[PBUF], dir[PBUF], base[PBUF];
	int fd, parent;

	fd = open_in_root(root, path, O_PATH);
	if (fd >= 0)
		return fd;
	if (clean(path, c) < 0)
		rfail(r, ENAMETOOLONG, "open in rootfs %s", path);
	split(c, dir, base);
	parent = mkdir_all(root, dir, 0755, 0);
	if (parent < 0) {
		char d[PBUF + 1];
		int err = errno;

		rfail(r, err, "mkdir in rootfs %s", go_dir(path, d, sizeof(d)));
	}
	fd = openat(parent, base, O_CREAT | O_EXCL | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0 && errno != EEXIST)
		rfail(r, errno, "create in rootfs %s", path);
	if (fd >= 0)
		close(fd);
	close(parent);
	fd = open_in_root(root, path, O_PATH);
	if (fd < 0)
		rfail(r, errno, "open in rootfs %s", path);
	return fd;
}

static int move_onto(int tree, int target)
{
	return (int)syscall(SYS_move_mount, tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

static int setattr(int fd, unsigned flags, uint64_t set, uint64_t clr, uint64_t prop)
{
	struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = prop};

	return (int)syscall(SYS_mount_setattr, fd, "", flags | AT_EMPTY_PATH, &a, sizeof(a));
}

struct bitmap {
	uint64_t from, to;
};

/* map_bits is every to of a from set in f. */
static uint64_t map_bits(uint64_t f, const struct bitmap *m, size_t n)
{
	uint64_t out = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (f & m[i].from)
			out |= m[i].to;
	return out;
}

/* mnt_attrs are the mount attributes mount(2) gives a mount for flags:
 * relatime unless noatime, strictatime over both. */
static uint64_t mnt_attrs(uint64_t f)
{
	static const struct bitmap m[] = {
		{MS_RDONLY, MOUNT_ATTR_RDONLY}, {MS_NOSUID, MOUNT_ATTR_NOSUID}, {MS_NODEV, MOUNT_ATTR_NODEV},
		{MS_NOEXEC, MOUNT_ATTR_NOEXEC}, {MS_NODIRATIME, MOUNT_ATTR_NODIRATIME}, {MS_NOSYMFOLLOW, MOUNT_ATTR_NOSYMFOLLOW},
	};
	uint64_t a = map_bits(f, m, sizeof(m) / sizeof(m[0]));

	if (f & MS_STRICTATIME)
		a |= MOUNT_ATTR_STRICTATIME;
	else if (f & MS_NOATIME)
		a |= MOUNT_ATTR_NOATIME;
	else
		a |= MOUNT_ATTR_RELATIME;
	return a;
}

#define ALL_ATTRS                                                                                          \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC | MOUNT_ATTR__ATIME | \
	 MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_NOSYMFOLLOW)

/* remount_bind is mount("", mnt, "", MS_REMOUNT|MS_BIND|flags): the
 * mount's flags become exactly flags' (the kernel refuses, EPERM, to drop
 * a locked one), through its fd; without an atime flag its atime flags
 * (noatime, nodiratime, relatime) stay, as a remount preserves them. */
static int remount_bind(int mnt, uint64_t flags)
{
	uint64_t set = mnt_attrs(flags), clr = ALL_ATTRS;

	if (!(flags & (MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME))) {
		set &= ~(uint64_t)(MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME);
		clr &= ~(uint64_t)(MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME);
	}
	return setattr(mnt, 0, set, clr, 0);
}

/* locked_flags is lockedFlags: statfs flags as the MS_ ones a remount keeps. */
static uint64_t locked_flags(unsigned long st)
{
	static const struct bitmap m[] = {
		{ST_NOSUID, MS_NOSUID}, {ST_NODEV, MS_NODEV}, {ST_NOEXEC, MS_NOEXEC}, {ST_RDONLY, MS_RDONLY},
		{ST_NOATIME, MS_NOATIME}, {ST_NODIRATIME, MS_NODIRATIME}, {ST_RELATIME, MS_RELATIME},
	};

	return map_bits(st, m, sizeof(m) / sizeof(m[0]));
}

#define ATIME_FLAGS ((uint64_t)(MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME))

/* flag_names is msFlagNames. */
static const char *flag_names(uint64_t f, char *buf, size_t len)
{
	static const struct {
		uint64_t f;
		const char *name;
	} names[] = {
		{MS_RDONLY, "MS_RDONLY"}, {MS_NOSUID, "MS_NOSUID"}, {MS_NODEV, "MS_NODEV"}, {MS_NOEXEC, "MS_NOEXEC"},
		{MS_SYNCHRONOUS, "MS_SYNCHRONOUS"}, {MS_MANDLOCK, "MS_MANDLOCK"}, {MS_DIRSYNC, "MS_DIRSYNC"},
		{MS_NOSYMFOLLOW, "MS_NOSYMFOLLOW"}, {MS_NOATIME, "MS_NOATIME"}, {MS_NODIRATIME, "MS_NODIRATIME"},
		{MS_RELATIME, "MS_RELATIME"}, {MS_STRICTATIME, "MS_STRICTATIME"}, {MS_LAZYTIME, "MS_LAZYTIME"},
	};
	size_t n = 0, i;
	int any = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (f & names[i].f) {
			n += (size_t)snprintf(buf + n, n < len ? len - n : 0, "%s%s", any ? "|" : "", names[i].name);
			f &= ~names[i].f;
			any = 1;
		}
	}
	if (f || !any)
		snprintf(buf + n, n < len ? len - n : 0, "%s%#llx", any ? "|" : "", (unsigned long long)f);
	return buf;
}

/* finish_bind is finishBind's remount: mnt is the new mount itself. */
static void finish_bind(struct run *r, int mnt, const char *dest, uint64_t extra, uint64_t clear)
{
	char names[256], more[256], why[512] = "";
	struct statfs st;
	int err;

	if (!extra && !clear)
		return;
	err = remount_bind(mnt, extra) < 0 ? errno : 0;
	if (err == EPERM && fstatfs(mnt, &st) == 0) {
		uint64_t src = locked_flags((unsigned long)st.f_flags), locked = src & ~clear;

		if (extra & ATIME_FLAGS)
			locked &= ~ATIME_FLAGS;
		if (locked & ~extra) {
			extra |= locked;
			err = remount_bind(mnt, extra) < 0 ? errno : 0;
		}
		if (err == EPERM) {
			uint64_t c = src & clear & ~ATIME_FLAGS, a = src & ATIME_FLAGS;

			if (c)
				snprintf(why, sizeof(why), "cannot clear locked flags %s: ", flag_names(c, more, sizeof(more)));
			else if ((extra & ATIME_FLAGS) && a)
				snprintf(why, sizeof(why), "cannot change locked atime flags %s: ", flag_names(a, more, sizeof(more)));
		}
	}
	if (err) {
		char eb[128];

		rt_step_failx(r, err, "%sremount %s with flags %s: %s%s", prefix, dest, flag_names(extra, names, sizeof(names)),
			      why, rt_errstr(err, eb, sizeof(eb)));
	}
}

/* set_attrs is setMountAttrs: propagation (each as given, MS_REC for the
 * tree), then the recursive attributes, on the mount mnt is the root of. */
static void set_attrs(struct run *r, int mnt, const struct rt_plan_field *props, uint64_t set, uint64_t clr)
{
	uint32_t i;

	for (i = 0; i < props->len; i++) {
		uint32_t p = rt_plan_u32(props, i);

		if (setattr(mnt, (p & MS_REC) ? AT_RECURSIVE : 0, 0, 0, p & ~(uint32_t)MS_REC) < 0)
			rfail(r, errno, "set propagation %#x", p);
	}
	if ((set || clr) && setattr(mnt, AT_RECURSIVE, set, clr, 0) < 0)
		rfail(r, errno, "set recursive mount attributes");
}

/* path_in_root is pathInRoot: where target lies inside the rootfs, read
 * from the host's procfs (before pivot_root). */
static void path_in_root(struct run *r, int target, char *rel, size_t len)
{
	char link[64], rp[PATH_MAX], tp[PATH_MAX];
	ssize_t n;
	size_t rl;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", r->root);
	n = readlink(link, rp, sizeof(rp) - 1);
	if (n < 0)
		rfail(r, errno, "resolve rootfs: readlink %s", link);
	rp[n] = '\0';
	snprintf(link, sizeof(link), "/proc/self/fd/%d", target);
	n = readlink(link, tp, sizeof(tp) - 1);
	if (n < 0)
		rfail(r, errno, "resolve mount destination: readlink %s", link);
	tp[n] = '\0';
	if (!strcmp(tp, rp)) {
		snprintf(rel, len, "/");
		return;
	}
	rl = strlen(rp);
	if (rl > 0 && rp[rl - 1] == '/')
		rl--;
	if (strncmp(tp, rp, rl) || tp[rl] != '/')
		rfail(r, 0, "mount destination %s resolved outside the rootfs", tp);
	snprintf(rel, len, "%s", tp + rl);
}

static const char *const safe_proc[] = {
	"/proc/cpuinfo", "/proc/diskstats", "/proc/meminfo", "/proc/stat", "/proc/swaps",
	"/proc/uptime", "/proc/loadavg", "/proc/slabinfo", "/proc/sys/kernel/ns_last_pid",
	"/proc/sys/fs/binfmt_misc",
};

/* check_proc is checkProcMount: /proc takes only a procfs (or a bind of
 * a procfs root), inside it only the lxcfs-style files. */
static void check_proc(struct run *r, int target, const char *fstype, const char *src, int bind)
{
	char rel[PATH_MAX], q[PATH_MAX + 64], j[PATH_MAX + 8];
	size_t i;

	path_in_root(r, target, rel, sizeof(rel));
	snprintf(j, sizeof(j), "%s%s", strcmp(r->rootfs, "/") ? r->rootfs : "", rel);
	if (!strcmp(rel, "/proc")) {
		if (bind) {
			struct statfs sfs;
			struct stat st;

			if (statfs(src, &sfs) < 0)
				rfail(r, errno, "statfs %s", src);
			if (sfs.f_type == PROC_SUPER_MAGIC) {
				if (stat(src, &st) < 0)
					rfail(r, errno, "stat %s", src);
				if (st.st_ino != 1)
					rfail(r, 0, "%s cannot be mounted because it is not the root of a proc mount",
					     rt_quote(src, q, sizeof(q)));
				return;
			}
		} else if (!strcmp(fstype, "proc")) {
			return;
		}
		rfail(r, 0, "%s cannot be mounted because it is not of type proc", rt_quote(j, q, sizeof(q)));
	}
	if (!strncmp(rel, "/proc/", 6)) {
		for (i = 0; i < sizeof(safe_proc) / sizeof(safe_proc[0]); i++)
			if (!strcmp(rel, safe_proc[i]))
				return;
		rfail(r, 0, "%s cannot be mounted because it is inside /proc", rt_quote(j, q, sizeof(q)));
	}
}

/* check_ordinary_dir is checkOrdinaryDir: a proc or sysfs destination
 * that exists must be a directory, a link above all is refused. */
static void check_ordinary_dir(struct run *r, const char *dest, const char *fstype)
{
	char c[PBUF], dir[PBUF], base[PBUF], q[64];
	struct stat st;
	int parent;

	rt_quote(fstype, q, sizeof(q));
	if (clean(dest, c) < 0)
		rfail(r, ENAMETOOLONG, "open in rootfs %s", dest);
	if (!strcmp(c, "."))
		rfail(r, 0, "filesystem %s must be mounted on ordinary directory", q);
	split(c, dir, base);
	parent = in_root(r->root, dir, O_PATH | O_DIRECTORY);
	if (parent < 0) {
		if (errno == ENOENT)
			return;
		rfail(r, errno, "open in rootfs /%s", strcmp(dir, ".") ? dir : "");
	}
	if (fstatat(parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		int e = errno;

		close(parent);
		if (e == ENOENT)
			return;
		rfail(r, e, "stat /%s", c);
	}
	close(parent);
	if (!S_ISDIR(st.st_mode))
		rfail(r, 0, "filesystem %s must be mounted on ordinary directory", q);
}

/* config_data gives fs each option of data, split at commas as mount(2)
 * splits them: key=value as a string, a bare key as a flag. 0, or -1 with
 * errno. */
static int config_data(int fs, const char *data)
{
	char *opts = strdup(data), *o, *next;
	int rc = 0, e = 0;

	if (!opts) {
		errno = ENOMEM;
		return -1;
	}
	for (o = opts; o && rc == 0; o = next) {
		char *eq;

		next = strchr(o, ',');
		if (next)
			*next++ = '\0';
		if (!*o)
			continue;
		eq = strchr(o, '=');
		if (eq)
			*eq = '\0';
		if (syscall(SYS_fsconfig, fs, eq ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG, o, eq ? eq + 1 : NULL, 0) < 0)
			rc = -1, e = errno;
	}
	free(opts);
	errno = e;
	return rc;
}

/* fs_mount makes a new filesystem as mount(src, ., fstype, flags, data)
 * would and returns its detached mount, or -1 with errno: the superblock
 * flags and each option of data (split at commas, key=value or a flag) go
 * through fsconfig, the per-mount flags to fsmount. */
static int fs_mount(const char *src, const char *fstype, uint64_t flags, const char *data)
{
	static const struct {
		uint64_t f;
		const char *key;
	} sb[] = {{MS_RDONLY, "ro"}, {MS_SYNCHRONOUS, "sync"}, {MS_DIRSYNC, "dirsync"}, {MS_MANDLOCK, "mand"}, {MS_LAZYTIME, "lazytime"}};
	int fs, mnt = -1, e;
	size_t i;

	fs = (int)syscall(SYS_fsopen, fstype, FSOPEN_CLOEXEC);
	if (fs < 0)
		return -1;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, "source", src, 0) < 0)
		goto out;
	for (i = 0; i < sizeof(sb) / sizeof(sb[0]); i++)
		if ((flags & sb[i].f) && syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, sb[i].key, NULL, 0) < 0)
			goto out;
	if (config_data(fs, data) < 0)
		goto out;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		goto out;
	mnt = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, (unsigned)mnt_attrs(flags));
out:
	e = errno;
	close(fs);
	errno = e;
	return mnt;
}

/* bind_tree is bindMount: a detached clone of src (recursive with rec)
 * moved onto target; its fd, which names the new mount, is returned. */
static int bind_tree(struct run *r, const char *src, int target, int rec)
{
	int tree = (int)syscall(SYS_open_tree, AT_FDCWD, src, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (rec ? AT_RECURSIVE : 0));

	if (tree < 0)
		rfail(r, errno, "bind %s", src);
	if (move_onto(tree, target) < 0)
		rfail(r, errno, "bind %s: move_mount", src);
	return tree;
}

static void keep_bind(struct run *r, int mnt, const char *dest)
{
	if (r->bindmnt >= 0)
		close(r->bindmnt);
	r->bindmnt = mnt;
	r->bind_dest = dest;
}

/* do_mount is mountEntry for a new filesystem (and mountCgroup's tmpfs or
 * cgroup2 with RT_MOUNT_CGROUP). */
static void do_mount(struct run *r, const struct rt_plan_entry *e)
{
	const char *dest = S(0), *src = S(1), *fstype = S(2), *data = S(4);
	uint64_t flags = U(3), opts = U(5);
	char *withmode = NULL;
	int target, mnt;

	if ((opts & RT_MOUNT_ORDINARY_DIR) && !(opts & RT_MOUNT_CGROUP))
		check_ordinary_dir(r, dest, fstype);
	target = mkdir_in_root(r, r->root, dest, 0755);
	if (!(opts & RT_MOUNT_CGROUP))
		check_proc(r, target, fstype, src, 0);
	if (opts & RT_MOUNT_INHERIT_MODE) {
		struct stat st;

		if (fstat(target, &st) == 0 && S_ISDIR(st.st_mode)) {
			size_t n = strlen(data) + 32;

			withmode = malloc(n);
			if (!withmode)
				rfail(r, ENOMEM, "mount %s (type %s)", src, fstype);
			snprintf(withmode, n, "%s%smode=%o", data, *data ? "," : "", (unsigned)(st.st_mode & 07777));
			data = withmode;
		}
	}
	mnt = fs_mount(src, fstype, flags, data);
	if (mnt >= 0 && move_onto(mnt, target) < 0) {
		int err = errno;

		close(mnt);
		mnt = -1;
		errno = err;
	}
	if (mnt < 0) {
		int err = errno;

		if ((opts & RT_MOUNT_SYSFS_FALLBACK) && err == EPERM) {
			/* No new net namespace in a user namespace: a read-only
			 * recursive bind of the host's /sys. */
			int tree = bind_tree(r, "/sys", target, 1);

			finish_bind(r, tree, dest, flags | MS_RDONLY, 0);
			keep_bind(r, tree, dest);
			close(target);
			free(withmode);
			return;
		}
		if ((opts & RT_MOUNT_OR_BIND) && (err == EPERM || err == EBUSY)) {
			close(target);
			free(withmode);
			return; /* the bind that follows stands in */
		}
		if (opts & RT_MOUNT_CGROUP)
			rfail(r, err, "%s", strcmp(fstype, "cgroup2") ? "mount tmpfs for cgroups" : "mount cgroup2");
		rfail(r, err, "mount %s (type %s)", src, fstype);
	}
	close(mnt);
	close(target);
	free(withmode);
	if (opts & RT_MOUNT_OR_BIND)
		r->skipbind = 1;
}

/* recv_tree reads the parent's "mount-source-done" and the fd with it. */
static int recv_tree(struct run *r)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)], body[4096], q[64];
	unsigned char h[4];
	struct iovec iov = {.iov_base = h, .iov_len = 4};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
	struct cmsghdr *c;
	int tree = -1;
	size_t n, want;
	ssize_t got;
	const char *t;

	do
		got = recvmsg(r->sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
	while (got < 0 && errno == EINTR);
	if (got != 4)
		rfail(r, got < 0 ? errno : EPIPE, "sync: read");
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			size_t k, nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			for (k = 0; k < nfd; k++) {
				int fd;

				memcpy(&fd, CMSG_DATA(c) + k * sizeof(int), sizeof(int));
				if (tree < 0)
					tree = fd;
				else
					close(fd);
			}
		}
	}
	want = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (want >= sizeof(body))
		rfail(r, EMSGSIZE, "sync: a message of %zu bytes", want);
	for (n = 0; n < want;) {
		got = read(r->sock, body + n, want - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rfail(r, got < 0 ? errno : EPIPE, "sync: read");
		n += (size_t)got;
	}
	body[n] = '\0';
	if (!strstr(body, "\"type\":\"mount-source-done\"")) {
		t = strstr(body, "\"type\":\"");
		snprintf(q, sizeof(q), "%s", t ? t + 8 : "");
		if (strchr(q, '"'))
			*strchr(q, '"') = '\0';
		rfail(r, 0, "sync: got \"%s\", want \"mount-source-done\"", q);
	}
	rt_logdebug(r, "init: sync: received mount-source-done");
	if (tree < 0)
		rfail(r, 0, "mount-source-done without a mount fd");
	return tree;
}

/* bind_from_parent is idmappedMount: the parent clones (and maps) the
 * source of mounts[i] (the step's name) and sends its fd, moved here onto
 * the destination resolved in the rootfs. */
static void bind_from_parent(struct run *r, const struct rt_plan_entry *e)
{
	const char *dest = S(0);
	char msg[64];
	unsigned idx;
	struct stat st;
	int tree, target;

	if (sscanf(e->name, "mounts[%u]", &idx) != 1)
		rt_step_fail(r, 0, "plan: %s: a bind from the parent names no mount", e->name);
	snprintf(msg, sizeof(msg), "{\"type\":\"mount-source\",\"mount\":%u}", idx);
	rt_logdebug(r, "init: sync: send mount-source");
	rt_sendraw(r, msg);
	tree = recv_tree(r);
	if (fstat(tree, &st) < 0)
		rfail(r, errno, "stat idmapped source");
	if (S_ISDIR(st.st_mode))
		target = mkdir_in_root(r, r->root, dest, 0755);
	else
		target = create_in_root(r, r->root, dest, 0644);
	if (move_onto(tree, target) < 0)
		rfail(r, errno, "move_mount idmapped %s", S(1));
	close(target);
	finish_bind(r, tree, dest, U(3), U(4));
	keep_bind(r, tree, dest);
}

/* do_bind is mountEntry for a bind (and mountCgroup's binds). */
static void do_bind(struct run *r, const struct rt_plan_entry *e)
{
	const char *dest = S(0), *src = S(1);
	struct stat st;
	int target, tree;

	if (U(5) & RT_BIND_FROM_PARENT) {
		bind_from_parent(r, e);
		return;
	}
	if (stat(src, &st) < 0) {
		if ((U(5) & RT_BIND_FROM_PARENT_IF_DENIED) && (errno == EACCES || errno == EPERM)) {
			bind_from_parent(r, e);
			return;
		}
		rfail(r, errno, "bind source: stat %s", src);
	}
	if (S_ISDIR(st.st_mode))
		target = mkdir_in_root(r, r->root, dest, 0755);
	else
		target = create_in_root(r, r->root, dest, 0644);
	check_proc(r, target, "bind", src, 1);
	tree = bind_tree(r, src, target, U(2) != 0);
	close(target);
	finish_bind(r, tree, dest, U(3), U(4));
	keep_bind(r, tree, dest);
}

/* do_mount_attr is applyMountAttrs (a new filesystem, reached again
 * through the rootfs) or, after a bind, setMountAttrs on the bind's fd. */
static void do_mount_attr(struct run *r, const struct rt_plan_entry *e)
{
	const char *dest = S(0);
	int mnt = -1;

	if (r->bindmnt >= 0 && r->bind_dest && !strcmp(r->bind_dest, dest)) {
		set_attrs(r, r->bindmnt, &e->f[1], U(2), U(3));
		return;
	}
	mnt = open_in_root(r->root, dest, O_PATH);
	if (mnt < 0)
		rfail(r, errno, "reopen %s: open in rootfs %s", dest, dest);
	set_attrs(r, mnt, &e->f[1], U(2), U(3));
	close(mnt);
}

/* do_remount is mountCgroup's read-only remount of its tmpfs: the
 * superblock reconfigured (fspick) with the flags mount(2)'s MS_REMOUNT
 * resets and data, then the mount's flags set to exactly flags'. */
static void do_remount(struct run *r, const struct rt_plan_entry *e)
{
	static const struct {
		uint64_t f;
		const char *on, *off;
	} sb[] = {{MS_RDONLY, "ro", "rw"}, {MS_SYNCHRONOUS, "sync", "async"}, {MS_MANDLOCK, "mand", "nomand"}, {MS_LAZYTIME, "lazytime", "nolazytime"}};
	const char *dest = S(0), *data = S(2);
	uint64_t flags = U(1);
	int mnt, fs = -1, err = 0;
	size_t i;

	mnt = open_in_root(r->root, dest, O_PATH);
	if (mnt < 0)
		rfail(r, errno, "open in rootfs %s", dest);
	fs = (int)syscall(SYS_fspick, mnt, "", FSPICK_EMPTY_PATH | FSPICK_CLOEXEC | FSPICK_NO_AUTOMOUNT);
	if (fs < 0)
		goto bad;
	for (i = 0; i < sizeof(sb) / sizeof(sb[0]); i++)
		if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, (flags & sb[i].f) ? sb[i].on : sb[i].off, NULL, 0) < 0)
			goto bad;
	if (config_data(fs, data) < 0)
		goto bad;
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0) < 0)
		goto bad;
	if (remount_bind(mnt, flags) < 0)
		goto bad;
	close(fs);
	close(mnt);
	return;
bad:
	err = errno;
	rfail(r, err, "remount cgroup tmpfs read-only");
}

/* do_remount_ro is remountReadonly: read-only, the other flags kept. */
static void do_remount_ro(struct run *r, const char *dest)
{
	struct statfs st;
	int mnt = open_in_root(r->root, dest, O_PATH);

	if (mnt < 0)
		rfail(r, errno, "reopen %s: open in rootfs %s", dest, dest);
	if (fstatfs(mnt, &st) < 0)
		rfail(r, errno, "statfs %s", dest);
	if (remount_bind(mnt, MS_RDONLY | locked_flags((unsigned long)st.f_flags)) < 0)
		rfail(r, errno, "remount %s read-only", dest);
	close(mnt);
}

/* own_node is ownNode: owner and exact mode of the node just made, through
 * an O_PATH|O_NOFOLLOW handle checked to be that node. */
static void own_node(struct run *r, int pfd, const char *name, uint64_t mode, dev_t want, uid_t uid, gid_t gid)
{
	struct stat st;
	int fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		rfail(r, errno, "reopen node");
	if (fstat(fd, &st) < 0)
		rfail(r, errno, "stat node");
	if ((st.st_mode & S_IFMT) != (mode & S_IFMT) || ((mode & S_IFMT) != S_IFIFO && st.st_rdev != want))
		rfail(r, 0, "node replaced while it was made (now mode %#o)", (unsigned)st.st_mode);
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH) < 0)
		rfail(r, errno, "chown");
	if (syscall(SYS_fchmodat2, fd, "", (mode_t)(mode & 07777), AT_EMPTY_PATH) < 0) {
		char p[64];

		if (errno != ENOSYS && errno != EINVAL)
			rfail(r, errno, "chmod");
		/* Before 6.6: the handle's magic link in the host's procfs (before
		 * pivot_root) names this inode only. */
		snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
		if (chmod(p, (mode_t)(mode & 07777)) < 0)
			rfail(r, errno, "chmod");
	}
	close(fd);
}

/* do_mknod is createDevice. */
static void do_mknod(struct run *r, const struct rt_plan_entry *e)
{
	const char *path = S(0);
	uint64_t mode = U(1), opts = U(6);
	dev_t dev = makedev((unsigned)U(2), (unsigned)U(3));
	char c[PBUF], dir[PBUF], base[PBUF];
	int parent, fd, target, tree;

	if (clean(path, c) < 0)
		rfail(r, ENAMETOOLONG, "mkdir in rootfs %s", path);
	split(c, dir, base);
	parent = mkdir_all(r->root, dir, 0755, 0);
	if (parent < 0) {
		char d[PBUF + 1];
		int err = errno;

		rfail(r, err, "mkdir in rootfs %s", go_dir(path, d, sizeof(d)));
	}
	if (!(opts & RT_MKNOD_BIND_HOST)) {
		unlinkat(parent, base, 0);
		if (mknodat(parent, base, (mode_t)mode, dev) == 0) {
			own_node(r, parent, base, mode, dev, (uid_t)U(4), (gid_t)U(5));
			close(parent);
			return;
		}
		if (errno != EPERM || !(opts & RT_MKNOD_BIND_EPERM))
			rfail(r, errno, "mknod");
	}
	/* The host's node bound onto an empty file. */
	fd = openat(parent, base, O_CREAT | O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0644);
	if (fd < 0)
		rfail(r, errno, "create bind target");
	close(fd);
	close(parent);
	target = open_in_root(r->root, path, O_PATH);
	if (target < 0)
		rfail(r, errno, "open in rootfs %s", path);
	tree = (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
	if (tree < 0 || move_onto(tree, target) < 0)
		rfail(r, errno, "bind host node");
	close(tree);
	close(target);
}

/* do_symlink is devSymlinks' links, or mountCgroup's co-mount names. */
static void do_symlink(struct run *r, const struct rt_plan_entry *e)
{
	const char *target = S(0), *link = S(1);
	uint64_t opts = U(2);
	char c[PBUF], dir[PBUF], base[PBUF];
	int parent;

	if (clean(link, c) < 0)
		rfail(r, ENAMETOOLONG, "symlink %s", link);
	split(c, dir, base);
	if (opts & RT_SYMLINK_IGNORE_ERROR) {
		parent = in_root(r->root, dir, O_PATH | O_DIRECTORY);
		if (parent >= 0) {
			if (symlinkat(target, parent, base) < 0) {
				/* as the Go init: no error */
			}
			close(parent);
		}
		return;
	}
	parent = mkdir_all(r->root, dir, 0755, 0);
	if (parent < 0) {
		char d[PBUF + 1];

		snprintf(d, sizeof(d), "/%s", strcmp(dir, ".") ? dir : "");
		rfail(r, errno, "open %s: mkdir in rootfs %s", d, d);
	}
	if (opts & RT_SYMLINK_REPLACE)
		unlinkat(parent, base, 0);
	if (symlinkat(target, parent, base) < 0 && errno != EEXIST)
		rfail(r, errno, "symlink %s", link);
	close(parent);
}

/* read_frame reads one framed message (sync.go) into buf, bounded. */
static void read_frame(struct run *r, char *buf, size_t len)
{
	unsigned char h[4];
	size_t n = 0, want;
	ssize_t got;

	while (n < 4) {
		got = read(r->sock, h + n, 4 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rfail(r, got < 0 ? errno : EPIPE, "sync: read");
		n += (size_t)got;
	}
	want = (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | h[3];
	if (want >= len)
		rfail(r, EMSGSIZE, "sync: a message of %zu bytes", want);
	for (n = 0; n < want;) {
		got = read(r->sock, buf + n, want - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			rfail(r, got < 0 ? errno : EPIPE, "sync: read");
		n += (size_t)got;
	}
	buf[n] = '\0';
}

/* do_hooks is the hooks/hooks-done exchange of standardInit. */
static void do_hooks(struct run *r)
{
	static char buf[64 << 10];
	char q[128];
	const char *t;

	rt_logdebug(r, "init: sync: send hooks");
	rt_sendsync(r, "hooks", NULL, 0);
	read_frame(r, buf, sizeof(buf));
	if (strstr(buf, "\"type\":\"hooks-done\"")) {
		rt_logdebug(r, "init: sync: received hooks-done");
		return;
	}
	t = strstr(buf, "\"type\":\"");
	snprintf(q, sizeof(q), "%s", t ? t + 8 : "");
	if (strchr(q, '"'))
		*strchr(q, '"') = '\0';
	rfail(r, 0, "sync: got \"%s\", want \"hooks-done\"", q);
}

/* write_proc is writeProcFile: the host's real procfs (fstatfs-checked). */
static int write_proc(const char *p, const char *v, char *why, size_t len)
{
	struct statfs st;
	int fd = open(p, O_WRONLY | O_NOFOLLOW | O_CLOEXEC), e;
	size_t n = strlen(v);
	ssize_t w;

	if (fd < 0)
		return -1;
	if (fstatfs(fd, &st) < 0)
		goto bad;
	if (st.f_type != PROC_SUPER_MAGIC) {
		close(fd);
		snprintf(why, len, "%s is not on procfs", p);
		return -2;
	}
	do
		w = write(fd, v, n);
	while (w < 0 && errno == EINTR);
	if (w < 0)
		goto bad;
	close(fd);
	return 0;
bad:
	e = errno;
	close(fd);
	errno = e;
	return -1;
}

static void do_sysctl(struct run *r, const struct rt_plan_entry *e)
{
	char why[RT_PLAN_MAX_PATH + 32], key[RT_PLAN_MAX_NAME + 1];
	const char *k = strchr(e->name, '[');
	size_t n;
	int rc;

	/* The key as the spec wrote it: the step's name is linux.sysctl[<key>]. */
	snprintf(key, sizeof(key), "%s", k ? k + 1 : e->name);
	n = strlen(key);
	if (n && key[n - 1] == ']')
		key[n - 1] = '\0';
	rc = write_proc(S(0), S(1), why, sizeof(why));
	if (rc == -2)
		rfail(r, 0, "sysctl %s=%s: %s", key, S(1), why);
	if (rc < 0)
		rfail(r, errno, "sysctl %s=%s", key, S(1));
}

/* pivot is pivotOrChroot without --no-pivot. */
static void pivot(struct run *r, const char *rootfs)
{
	int oldroot, newroot;

	oldroot = open("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (oldroot < 0)
		rfail(r, errno, "open old root");
	newroot = open(rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (newroot < 0)
		rfail(r, errno, "open rootfs");
	if (fchdir(newroot) < 0)
		rfail(r, errno, "chdir to rootfs");
	if (syscall(SYS_pivot_root, ".", ".") < 0)
		rfail(r, errno, "pivot_root");
	if (fchdir(oldroot) < 0)
		rfail(r, errno, "chdir to old root");
	if (mount("", ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
		rfail(r, errno, "make old root rslave");
	if (umount2(".", MNT_DETACH) < 0)
		rfail(r, errno, "detach old root");
	if (chdir("/") < 0)
		rfail(r, errno, "chdir /");
	close(oldroot);
	close(newroot);
	if (r->root >= 0)
		close(r->root);
	if (r->bindmnt >= 0)
		close(r->bindmnt);
	r->bindmnt = -1;
	r->root = -1;
	r->pivoted = 1;
}

/* after_pivot_root is the container's / for finishRootfs' steps. */
static int slash(struct run *r)
{
	if (r->root < 0) {
		r->root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->root < 0)
			rt_step_fail(r, errno, "open /: open /");
	}
	return r->root;
}

static void do_readonly_path(struct run *r, const char *p)
{
	int t = open_in_root(slash(r), p, O_PATH), tree;

	if (t < 0) {
		if (errno == ENOENT)
			return;
		rfail(r, errno, "open in rootfs %s", p);
	}
	tree = (int)syscall(SYS_open_tree, t, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
	if (tree < 0)
		rfail(r, errno, "clone");
	if (setattr(tree, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, 0) < 0)
		rfail(r, errno, "set read-only");
	if (move_onto(tree, t) < 0)
		rfail(r, errno, "move mount");
	close(tree);
	close(t);
}

/* dev_null is devNull: the container's /dev/null, checked to be 1:3. */
static int dev_null(struct run *r, int root, uint64_t flags, const char *what)
{
	struct stat st;
	int fd = open_in_root(root, "/dev/null", flags);

	if (fd < 0)
		rt_step_fail(r, errno, "%s /dev/null: open in rootfs /dev/null", what);
	if (fstat(fd, &st) < 0)
		rt_step_fail(r, errno, "stat /dev/null");
	if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(1, 3))
		rt_step_fail(r, 0, "/dev/null is not the null device (1:3)");
	return fd;
}

/* mask_tmpfs is masker.emptyTmpfs: one read-only tmpfs, 4k and one inode. */
static int mask_tmpfs(struct run *r)
{
	static const char *const kv[][2] = {{"source", "tmpfs"}, {"size", "4k"}, {"nr_inodes", "1"}};
	size_t i;
	int fs;

	if (r->masktmpfs >= 0)
		return r->masktmpfs;
	fs = (int)syscall(SYS_fsopen, "tmpfs", FSOPEN_CLOEXEC);
	if (fs < 0)
		rfail(r, errno, "fsopen tmpfs");
	for (i = 0; i < 3; i++)
		if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_STRING, kv[i][0], kv[i][1], 0) < 0)
			rfail(r, errno, "fsconfig %s", kv[i][0]);
	if (syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, "ro", NULL, 0) < 0)
		rfail(r, errno, "fsconfig ro");
	if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
		rfail(r, errno, "fsconfig create");
	r->masktmpfs = (int)syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
	if (r->masktmpfs < 0)
		rfail(r, errno, "fsmount");
	close(fs);
	return r->masktmpfs;
}

/* do_mask is masker.mask: /dev/null over a file, the shared empty tmpfs
 * over a directory (the first takes it, the others get clones). */
static void do_mask(struct run *r, const char *p)
{
	struct stat st;
	int t, src, tree;

	/* Go opens it before the first masked path, its errors unprefixed. */
	if (r->null < 0)
		r->null = dev_null(r, slash(r), O_PATH, "open");
	t = open_in_root(slash(r), p, O_PATH);
	if (t < 0) {
		if (errno == ENOENT)
			return;
		rfail(r, errno, "open in rootfs %s", p);
	}
	if (fstat(t, &st) < 0)
		rt_step_fail(r, errno, "masked path %s", p);
	src = r->null;
	if (S_ISDIR(st.st_mode)) {
		src = mask_tmpfs(r);
		if (!r->maskattached) {
			if (move_onto(src, t) < 0)
				rfail(r, errno, "move mount");
			r->maskattached = 1;
			close(t);
			return;
		}
	}
	tree = (int)syscall(SYS_open_tree, src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
	if (tree < 0)
		rfail(r, errno, "clone mask");
	if (move_onto(tree, t) < 0)
		rfail(r, errno, "move mount");
	close(tree);
	close(t);
}

static void do_root_readonly(struct run *r)
{
	struct statfs st;
	uint64_t locked = 0;

	if (statfs("/", &st) == 0)
		locked = locked_flags((unsigned long)st.f_flags) & ~(uint64_t)MS_RDONLY;
	if (mount("", "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked, NULL) < 0)
		rfail(r, errno, "make root read-only");
}

/* do_reopen_dev_null is reopenDevNull. */
static void do_reopen_dev_null(struct run *r)
{
	int stdio[3] = {0}, any = 0, fd, null;
	struct stat st;

	for (fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3))
			stdio[fd] = any = 1;
	if (!any)
		return;
	null = dev_null(r, slash(r), O_RDWR | O_NOFOLLOW, "reopen");
	for (fd = 0; fd < 3; fd++)
		if (stdio[fd] && dup3(null, fd, 0) < 0)
			rfail(r, errno, "reopen /dev/null as fd %d", fd);
	close(null);
}

static void do_lo_up(struct run *r)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		rfail(r, errno, "bring up lo");
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
		rfail(r, errno, "bring up lo");
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
		rfail(r, errno, "bring up lo");
	close(fd);
}

static void do_keyring(struct run *r, const char *name)
{
	if (syscall(SYS_keyctl, 1 /* KEYCTL_JOIN_SESSION_KEYRING */, name, 0, 0, 0) >= 0)
		return;
	if (errno == ENOSYS || errno == EACCES || errno == EDQUOT)
		return; /* keyrings off or quota reached: runc carries on too */
	rfail(r, errno, "join session keyring");
}

void rt_wait_start(struct run *r, const struct rt_plan_entry *e)
{
	int fifo = (int)U(0);
	char b;
	ssize_t n;

	if (U(2) && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		rt_step_fail(r, errno, "prctl(PR_SET_DUMPABLE)");
	do
		n = read(fifo, &b, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		rt_step_fail(r, errno, "wait for start");
	close(fifo);
	r->started = 1;
	r->result = (int)U(1);
	if (U(2) && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
		rt_step_fail(r, errno, "prctl(PR_SET_DUMPABLE)");
}

int rt_rootfs_step(struct run *r, const struct rt_plan_entry *e)
{
	char q[RT_PLAN_MAX_PATH + 64];

	if (!r->group || strcmp(r->group, e->name)) {
		r->skipbind = 0;
		r->group = e->name;
		r->group_dest = (e->nfields > 0 && (e->f[0].kind == RT_F_PATH)) ? e->f[0].str : "";
	}
	if (r->bindmnt >= 0 && e->op != RT_OP_MOUNT_ATTR) {
		close(r->bindmnt);
		r->bindmnt = -1;
	}
	prefix[0] = '\0';
	switch (e->op) {
	case RT_OP_PROPAGATION:
		if (mount("", S(0), NULL, U(1), NULL) < 0) {
			if (r->pivoted)
				rfail(r, errno, "set propagation of the new / (%#llx)", (unsigned long long)U(1));
			rfail(r, errno, "set propagation of / ");
		}
		return 1;
	case RT_OP_BIND_ROOTFS:
		if (mount(S(0), S(0), NULL, MS_BIND | MS_REC, NULL) < 0)
			rfail(r, errno, "bind rootfs %s onto itself", S(0));
		r->rootfs = S(0);
		r->root = open(S(0), O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (r->root < 0)
			rfail(r, errno, "open rootfs: open %s", S(0));
		return 1;
	case RT_OP_MOUNT:
	case RT_OP_BIND:
	case RT_OP_MOUNT_ATTR:
	case RT_OP_REMOUNT:
		if (r->root < 0 || r->pivoted)
			rt_step_fail(r, 0, "plan: %s: %s without a rootfs", e->name, rt_plan_ops[e->op].name);
		snprintf(prefix, sizeof(prefix), "mount %s: ", r->group_dest);
		if (e->op == RT_OP_MOUNT)
			do_mount(r, e);
		else if (e->op == RT_OP_BIND && r->skipbind)
			r->skipbind = 0;
		else if (e->op == RT_OP_BIND)
			do_bind(r, e);
		else if (e->op == RT_OP_MOUNT_ATTR)
			do_mount_attr(r, e);
		else
			do_remount(r, e);
		return 1;
	case RT_OP_SYMLINK:
	case RT_OP_MKNOD:
	case RT_OP_MKDIR:
	case RT_OP_REMOUNT_RO:
		if (r->root < 0 || r->pivoted)
			rt_step_fail(r, 0, "plan: %s: %s without a rootfs", e->name, rt_plan_ops[e->op].name);
		if (e->op == RT_OP_SYMLINK) {
			if (U(2) & RT_SYMLINK_IGNORE_ERROR)
				snprintf(prefix, sizeof(prefix), "mount %s: ", r->group_dest);
			do_symlink(r, e);
		} else if (e->op == RT_OP_MKNOD) {
			snprintf(prefix, sizeof(prefix), "device %s: ", S(0));
			do_mknod(r, e);
		} else if (e->op == RT_OP_MKDIR) {
			snprintf(prefix, sizeof(prefix), "create cwd %s: ", S(0));
			close(mkdir_in_root(r, r->root, S(0), (mode_t)U(1)));
		} else {
			do_remount_ro(r, S(0));
		}
		return 1;
	case RT_OP_HOOKS:
		do_hooks(r);
		return 1;
	case RT_OP_SYSCTL:
		do_sysctl(r, e);
		return 1;
	case RT_OP_OOM_SCORE_ADJ: {
		char why[128];
		int rc = write_proc("/proc/self/oom_score_adj", S(0), why, sizeof(why));

		if (rc == -2)
			rfail(r, 0, "oomScoreAdj %s: %s", S(0), why);
		if (rc < 0)
			rfail(r, errno, "oomScoreAdj %s", S(0));
		return 1;
	}
	case RT_OP_PIVOT_ROOT:
		pivot(r, S(0));
		return 1;
	case RT_OP_READONLY_PATH:
		snprintf(prefix, sizeof(prefix), "readonly path %s: ", S(0));
		do_readonly_path(r, S(0));
		return 1;
	case RT_OP_MASK_PATH:
		snprintf(prefix, sizeof(prefix), "masked path %s: ", S(0));
		do_mask(r, S(0));
		return 1;
	case RT_OP_ROOT_READONLY:
		do_root_readonly(r);
		return 1;
	case RT_OP_REOPEN_DEV_NULL:
		do_reopen_dev_null(r);
		return 1;
	case RT_OP_LOOPBACK_UP:
		do_lo_up(r);
		return 1;
	case RT_OP_HOSTNAME:
		if (sethostname(S(0), e->f[0].len) < 0)
			rfail(r, errno, "sethostname %s", rt_quote(S(0), q, sizeof(q)));
		return 1;
	case RT_OP_DOMAINNAME:
		if (setdomainname(S(0), e->f[0].len) < 0)
			rfail(r, errno, "setdomainname %s", rt_quote(S(0), q, sizeof(q)));
		return 1;
	case RT_OP_SESSION_KEYRING:
		do_keyring(r, S(0));
		return 1;
	}
	return 0;
}
