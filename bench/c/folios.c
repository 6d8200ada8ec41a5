/*
 * folios: how a file sits in the page cache, by folio size. A runtime's
 * peak RSS and its page faults depend on it (bench/README.md, "Where the
 * parent's peak RSS is"): a read fault maps a large folio whole, so the
 * same binary costs more RSS and fewer faults when its cache has large
 * folios (as the linker's writes leave it) than small ones (as cp leaves
 * it). rtbench compares binaries that should enter the cache alike;
 * this says whether they did.
 *
 *   folios FILE...      (root: reads /proc/self/pagemap and /proc/kpageflags)
 *
 * For each FILE it maps the file read-only, reads one byte of every page
 * (which brings uncached pages in through readahead, as an exec would),
 * and prints one line: the file's size in KiB, then KiB of it in folios
 * of each order that occurs ("o0=..." for 4 KiB pages, "o4=..." for
 * 64 KiB folios, "o9=..." for 2 MiB ones) and the path.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define PFN_MASK ((1ULL << 55) - 1)
#define PM_PRESENT (1ULL << 63)
#define KPF_COMPOUND_HEAD 15
#define KPF_COMPOUND_TAIL 16
#define MAX_ORDER 20

static int pread_u64(int fd, uint64_t index, uint64_t *v)
{
	return pread(fd, v, sizeof(*v), (off_t)(index * sizeof(*v))) == sizeof(*v) ? 0 : -1;
}

static int probe(const char *path, int pagemap, int kflags)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t kib[MAX_ORDER + 1] = {0}, unknown = 0;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) < 0) {
		fprintf(stderr, "folios: %s: %s\n", path, strerror(errno));
		return -1;
	}
	size_t pages = ((size_t)st.st_size + page - 1) / page;
	if (pages == 0) {
		close(fd);
		printf("0 KiB %s\n", path);
		return 0;
	}
	volatile unsigned char *m = mmap(NULL, pages * page, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED) {
		fprintf(stderr, "folios: mmap %s: %s\n", path, strerror(errno));
		return -1;
	}
	for (size_t i = 0; i < pages; i++)
		(void)m[i * page];
	uintptr_t first = (uintptr_t)m / page;
	for (size_t i = 0; i < pages;) {
		uint64_t pm, fl;
		if (pread_u64(pagemap, first + i, &pm) < 0 || !(pm & PM_PRESENT) ||
		    pread_u64(kflags, pm & PFN_MASK, &fl) < 0) {
			unknown += page / 1024;
			i++;
			continue;
		}
		/* A head followed by tails is one folio; count its pages here. */
		size_t n = 1;
		if (fl & (1ULL << KPF_COMPOUND_HEAD)) {
			uint64_t pfn = pm & PFN_MASK, tl;
			while (i + n < pages && pread_u64(pagemap, first + i + n, &pm) == 0 &&
			       (pm & PM_PRESENT) && (pm & PFN_MASK) == pfn + n &&
			       pread_u64(kflags, pfn + n, &tl) == 0 && (tl & (1ULL << KPF_COMPOUND_TAIL)))
				n++;
		} else if (fl & (1ULL << KPF_COMPOUND_TAIL)) {
			/* The file starts in the middle of no folio; a tail here is
			 * a folio whose head lies before this page (cannot happen
			 * for offset 0): count it as unknown. */
			unknown += page / 1024;
			i++;
			continue;
		}
		int order = 0;
		while ((1UL << (order + 1)) <= n && order < MAX_ORDER)
			order++;
		kib[order] += n * (page / 1024);
		i += n;
	}
	munmap((void *)m, pages * page);
	printf("%lld KiB", (long long)st.st_size / 1024);
	for (int o = 0; o <= MAX_ORDER; o++)
		if (kib[o])
			printf(" o%d=%llu", o, (unsigned long long)kib[o]);
	if (unknown)
		printf(" unknown=%llu", (unsigned long long)unknown);
	printf(" %s\n", path);
	return 0;
}

int main(int argc, char **argv)
{
	int pagemap, kflags, rc = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: folios FILE...\n");
		return 2;
	}
	pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	kflags = open("/proc/kpageflags", O_RDONLY | O_CLOEXEC);
	if (pagemap < 0 || kflags < 0) {
		fprintf(stderr, "folios: /proc/self/pagemap or /proc/kpageflags: %s (needs root)\n",
			strerror(errno));
		return 2;
	}
	for (int i = 1; i < argc; i++)
		if (probe(argv[i], pagemap, kflags) < 0)
			rc = 1;
	return rc;
}
