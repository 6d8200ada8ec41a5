#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootstrap.h"

/* rt_bail reports a failure to the parent as one line "error <errno> <text>"
 * (errno 0: none) and exits; the parent turns it into the command's error,
 * which wraps the errno. */
void rt_bail(int sock, const char *fmt, ...)
{
	char msg[1024];
	int saved = errno, n;
	va_list ap;

	n = snprintf(msg, sizeof(msg), "error %d ", saved);
	va_start(ap, fmt);
	n += vsnprintf(msg + n, sizeof(msg) - n - 1, fmt, ap);
	va_end(ap);
	if (saved != 0 && n < (int)sizeof(msg) - 40)
		n += snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(saved));
	if (n > (int)sizeof(msg) - 2)
		n = sizeof(msg) - 2;
	msg[n++] = '\n';
	if (write(sock, msg, n) < 0) {
		/* nothing more we can do */
	}
	_exit(1);
}

void rt_writeall(int sock, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(sock, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			_exit(1);
		}
		buf += n;
		len -= n;
	}
}

static void readfull(int sock, char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = read(sock, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			rt_bail(sock, "nsenter: read bootstrap");
		buf += n;
		len -= n;
	}
}

/* rt_readline reads one '\n'-terminated line, byte by byte, so that nothing
 * meant for the Go side of the init is consumed here. */
void rt_readline(int sock, char *buf, size_t len)
{
	size_t i = 0;

	while (i + 1 < len) {
		readfull(sock, buf + i, 1);
		if (buf[i] == '\n')
			break;
		i++;
	}
	buf[i] = '\0';
}

/* read_plan reads the plan that follows the bootstrap lines and decodes
 * it; a malformed one is stage 0's error, before any namespace is entered. */
static void read_plan(int sock, struct bootstrap *b, size_t len)
{
	unsigned char *buf = malloc(len);
	char err[256];

	if (!buf)
		rt_bail(sock, "nsenter: malloc plan");
	readfull(sock, (char *)buf, len);
	if (rt_plan_decode(buf, len, &b->plan, err, sizeof(err)) < 0) {
		errno = 0;
		rt_bail(sock, "%s", err);
	}
	/* buf stays allocated: the plan's strings point into it. */
	b->has_plan = 1;
}

void rt_read_bootstrap(int sock, struct bootstrap *b)
{
	char head[32], *data, *line, *save = NULL;
	long len, plan_len = 0;

	memset(b, 0, sizeof(*b));
	rt_readline(sock, head, sizeof(head));
	len = strtol(head, NULL, 10);
	if (len <= 0 || len > 1 << 20) {
		errno = 0;
		rt_bail(sock, "nsenter: bad bootstrap length %ld", len);
	}
	data = malloc(len + 1);
	if (!data)
		rt_bail(sock, "nsenter: malloc");
	readfull(sock, data, len);
	data[len] = '\0';

	for (line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *val = strchr(line, ' ');
		if (!val)
			continue;
		*val++ = '\0';
		if (!strcmp(line, "clone")) {
			b->clone_flags = strtoul(val, NULL, 10);
		} else if (!strcmp(line, "idmap")) {
			b->idmap = 1;
		} else if (!strcmp(line, "cgroupns")) {
			b->cgroupns = 1;
		} else if (!strcmp(line, "ns")) {
			if (b->nns >= RT_MAX_NS) {
				errno = 0;
				rt_bail(sock, "nsenter: too many namespaces to join");
			}
			char *path = NULL;
			b->nstype[b->nns] = (int)strtol(val, &path, 10);
			while (path && *path == ' ')
				path++;
			if (!path || !*path) {
				errno = 0;
				rt_bail(sock, "nsenter: bad ns line");
			}
			b->ns[b->nns++] = path;
		} else if (!strcmp(line, "plan")) {
			plan_len = strtol(val, NULL, 10);
			if (plan_len <= 0 || plan_len > (long)RT_PLAN_MAX_SIZE) {
				errno = 0;
				rt_bail(sock, "nsenter: bad plan length %ld", plan_len);
			}
		} else if (!strcmp(line, "timens")) {
			size_t used = strlen(b->timens);
			snprintf(b->timens + used, sizeof(b->timens) - used, "%s\n", val);
		}
	}
	/* data stays allocated: b->ns points into it. */
	if (plan_len > 0)
		read_plan(sock, b, (size_t)plan_len);
}
