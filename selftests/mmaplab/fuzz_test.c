// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz_test.c - random ioctls against a model of what each must answer.
 *
 * Commands known and unknown, argument sizes (0, below version 0, exact,
 * larger with zero and non-zero tails, a page, more), flags, backings,
 * page counts (0, 1, max, max + 1, 2^63, ~0), ranges and pointers (NULL,
 * unmapped, a structure that runs into an unmapped page, read-only),
 * interleaved with mmap() and munmap() of the objects.  Every call must
 * return 0 or an errno the uapi documents for it, the one the model
 * predicts where it can tell, and the object must stay what STATS says.
 *
 * MMAPLAB_FUZZ_SEED picks the seed (default 20261129, so that make check
 * makes the same calls every run; "random" for a new one each run; it is
 * printed either way, so a failure can be replayed); MMAPLAB_FUZZ_CALLS
 * the number of calls (default 100000).
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <time.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define NR_OBJS		4
#define NR_MAPS		8

struct model {
	int fd;
	bool configured, mapped;
	uint32_t backing, flags;
	uint64_t nr_pages;
	unsigned char guard[4096];	/* enough for the fuzzed sizes */
};

struct mapping {
	char *p;
	size_t len;
};

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64*: small, fast, and the same sequence for a seed. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ULL;
}

static uint64_t pick(const uint64_t *v, size_t n)
{
	return v[rnd() % n];
}

#define PICK(...) pick((const uint64_t[]){ __VA_ARGS__ }, \
		       sizeof((const uint64_t[]){ __VA_ARGS__ }) / sizeof(uint64_t))

/* A page for arguments, followed by an inaccessible page, and a read-only one. */
static char *arena, *ro_page;

/*
 * Where an argument of @len bytes goes: the caller's buffer, NULL, an
 * unmapped address, one that runs into the unmapped page after its size
 * field, or a read-only page (a copy).  Returns the kind in @kind.
 */
enum ptr_kind { P_OK, P_NULL, P_UNMAPPED, P_CROSS, P_RO };

static const char *const kind_name[] = {
	"valid", "NULL", "unmapped", "crossing", "read-only",
};
static enum ptr_kind last_kind;
static uint32_t last_size;

static void *place_arg(void *buf, size_t len, enum ptr_kind *kind);

static void *place(void *buf, size_t len, enum ptr_kind *kind)
{
	void *where = place_arg(buf, len, kind);

	last_kind = *kind;
	last_size = len;
	return where;
}

static void *place_arg(void *buf, size_t len, enum ptr_kind *kind)
{
	size_t page = PAGE_SZ;

	switch (rnd() % 16) {
	case 0:
		*kind = P_NULL;
		return NULL;
	case 1:
		*kind = P_UNMAPPED;
		return arena + page + 64;
	case 2:
		*kind = P_CROSS;
		memcpy(arena + page - 8, buf, 8);
		return arena + page - 8;
	case 3:
		*kind = P_RO;
		mprotect(ro_page, page, PROT_READ | PROT_WRITE);
		memcpy(ro_page, buf, page);
		mprotect(ro_page, page, PROT_READ);
		return ro_page;
	default:
		*kind = P_OK;
		return buf;
	}
}

/* A size field: mostly the real one, sometimes any of the edge cases. */
static uint32_t fuzz_size(uint32_t real, uint32_t ver0)
{
	if (rnd() % 3)
		return real;
	return PICK(0, 4, ver0 - 8, ver0, real, real + 8, real + 8, PAGE_SZ,
		    PAGE_SZ + 8, 2 * PAGE_SZ);
}

/*
 * What copy-in must say about a size and a pointer before the command
 * looks at the contents; -1 when it gets through.  @tail_nonzero: the
 * bytes past the structure are not zero.
 */
static int copyin_errno(uint32_t size, uint32_t real, uint32_t ver0,
			enum ptr_kind kind, bool tail_nonzero)
{
	if (kind == P_NULL || kind == P_UNMAPPED)
		return EFAULT;
	if (size < ver0)
		return EINVAL;
	if (size > PAGE_SZ)
		return E2BIG;
	if (kind == P_CROSS)
		return EFAULT;
	if (size > real && tail_nonzero)
		return E2BIG;
	return -1;
}

static bool documented(int err)
{
	switch (err) {
	case 0: case EINVAL: case EFAULT: case E2BIG: case ENOSPC:
	case EFBIG: case EBUSY: case ENOTTY: case EOPNOTSUPP: case ENOMEM:
		return true;
	}
	return false;
}

/* A buffer for any argument: the structure, then a tail. */
static union {
	struct mmaplab_config cfg;
	struct mmaplab_stats st;
	struct mmaplab_range r;
	char bytes[3 * 4096];
} buf;

static void fill_tail(size_t real, bool nonzero)
{
	memset(buf.bytes + real, 0, sizeof(buf.bytes) - real);
	if (nonzero)
		buf.bytes[real + rnd() % 8] = 1;
}

struct fuzz {
	struct model obj[NR_OBJS];
	struct mapping map[NR_MAPS];
	uint64_t max_pages;
	unsigned long calls, by_errno[256];
	char failure[256];
};

static bool check(struct fuzz *f, const char *what, int got, int want,
		  bool also_enospc)
{
	if (got < 256)
		f->by_errno[got]++;
	if (!documented(got) ||
	    (want >= 0 && got != want && !(also_enospc && got == ENOSPC))) {
		snprintf(f->failure, sizeof(f->failure),
			 "call %lu, %s (size %u, %s argument): got %d (%s), want %d",
			 f->calls, what, last_size, kind_name[last_kind], got,
			 strerror(got), want);
		return false;
	}
	return true;
}

static int do_ioctl(int fd, unsigned long cmd, void *arg)
{
	return ioctl(fd, cmd, arg) ? errno : 0;
}

static bool fuzz_configure(struct fuzz *f, struct model *m)
{
	uint32_t real = sizeof(struct mmaplab_config), size;
	bool tail = rnd() & 1;
	enum ptr_kind kind;
	int want, got;
	void *arg;

	memset(&buf.cfg, 0, sizeof(buf.cfg));
	size = fuzz_size(real, MMAPLAB_CONFIG_SIZE_VER0);
	buf.cfg.size = size;
	buf.cfg.backing = PICK(0, 1, 2, 3, 4, 1, 2, 4, 5, 0xffffffff);
	buf.cfg.flags = PICK(0, 0, 0, 1, 2, 3, 4, 0x80000000);
	buf.cfg.nr_pages = PICK(0, 1, 2, 3, 8, 17, f->max_pages,
				f->max_pages + 1, 1ULL << 63, ~0ULL);
	buf.cfg.__pad = rnd() % 8 == 0;
	fill_tail(real, tail);
	arg = place(&buf, size, &kind);

	want = copyin_errno(size, real, MMAPLAB_CONFIG_SIZE_VER0, kind, tail);
	if (want < 0) {
		const struct mmaplab_config *c = &buf.cfg;
		uint32_t allowed = c->backing == MMAPLAB_BACKING_PAGES ? 3 :
				   c->backing == MMAPLAB_BACKING_PFN ? 2 : 0;

		if (c->__pad || !c->backing || c->backing > 4 ||
		    (c->flags & ~allowed) || !c->nr_pages)
			want = EINVAL;
		else if (c->nr_pages > f->max_pages)
			want = EFBIG;
		else if (m->mapped)
			want = EBUSY;
		else
			want = 0;
	}
	got = do_ioctl(m->fd, MMAPLAB_IOC_CONFIGURE, arg);
	if (!check(f, "configure", got, want, want == 0))
		return false;
	if (!got) {
		m->configured = true;
		m->backing = buf.cfg.backing;
		m->flags = buf.cfg.flags;
		m->nr_pages = buf.cfg.nr_pages;
		memset(m->guard, 0, sizeof(m->guard));
	}
	return true;
}

static bool fuzz_stats(struct fuzz *f, struct model *m)
{
	uint32_t real = sizeof(struct mmaplab_stats), size;
	bool tail = rnd() & 1;
	enum ptr_kind kind;
	int want, got;
	void *arg;

	memset(&buf.st, 0, sizeof(buf.st));
	size = fuzz_size(real, MMAPLAB_STATS_SIZE_VER0);
	buf.st.size = size;
	buf.st.flags = PICK(0, 0, 0, 1, 2, 0x80000000);
	fill_tail(real, tail);
	arg = place(&buf, size, &kind);
	want = copyin_errno(size, real, MMAPLAB_STATS_SIZE_VER0, kind, tail);
	if (want < 0)
		want = buf.st.flags & ~MMAPLAB_STATS_FLAGS_ALL ? EINVAL :
		       kind == P_RO ? EFAULT : 0;
	got = do_ioctl(m->fd, MMAPLAB_IOC_STATS, arg);
	return check(f, "stats", got, want, false);
}

static bool fuzz_range(struct fuzz *f, struct model *m)
{
	static const unsigned long cmds[] = {
		MMAPLAB_IOC_GUARD, MMAPLAB_IOC_INVALIDATE, MMAPLAB_IOC_CLEAN,
	};
	uint32_t real = sizeof(struct mmaplab_range), size;
	int which = rnd() % 3, want, got;
	struct mmaplab_range *r = &buf.r;
	bool tail = rnd() & 1;
	uint64_t nr, end;
	enum ptr_kind kind;
	void *arg;

	memset(r, 0, sizeof(*r));
	size = fuzz_size(real, MMAPLAB_RANGE_SIZE_VER0);
	r->size = size;
	r->flags = PICK(0, 1, 2, 3, 1, 2, 0x80000000);
	r->pgoff = PICK(0, 0, 1, 2, 7, 16, m->nr_pages, ~0ULL, 1ULL << 63);
	r->nr_pages = PICK(0, 1, 2, 3, 8, m->nr_pages, m->nr_pages + 1, ~0ULL);
	r->fill = PICK(0, 0, 0xaa, 0xff, 0x100);
	r->__pad = rnd() % 16 == 0;
	fill_tail(real, tail);
	arg = place(&buf, size, &kind);

	want = copyin_errno(size, real, MMAPLAB_RANGE_SIZE_VER0, kind, tail);
	if (want < 0) {
		bool rangeok = !r->__pad && r->pgoff < m->nr_pages;

		nr = r->nr_pages ? r->nr_pages : m->nr_pages - r->pgoff;
		rangeok = rangeok && nr <= m->nr_pages - r->pgoff;
		switch (which) {
		case 0:	/* guard */
			want = r->fill || (r->flags != MMAPLAB_GUARD_INSTALL &&
					   r->flags != MMAPLAB_GUARD_REMOVE);
			break;
		case 1:	/* invalidate */
			want = (r->flags & ~MMAPLAB_INVALIDATE_REPLACE) ||
			       r->fill > 0xff ||
			       (!(r->flags & 1) && r->fill);
			break;
		default: /* clean */
			want = r->flags || r->fill;
			break;
		}
		if (kind == P_RO)
			want = EFAULT;	/* checked before anything else */
		else if (want)
			want = EINVAL;
		else if (!m->configured)
			want = EINVAL;
		else if (m->backing == MMAPLAB_BACKING_ZERO)
			want = EOPNOTSUPP;
		else if (!rangeok)
			want = EINVAL;
		else if (which == 2 && !(m->flags & MMAPLAB_CONFIG_WRITE_NOTIFY))
			want = EINVAL;
		else
			want = 0;
	}
	got = do_ioctl(m->fd, cmds[which], arg);
	if (!check(f, which == 0 ? "guard" : which == 1 ? "invalidate" :
		   "clean", got, want, false))
		return false;
	if (!got && which == 0) {
		nr = r->nr_pages ? r->nr_pages : m->nr_pages - r->pgoff;
		for (end = r->pgoff + nr; r->pgoff < end; r->pgoff++)
			m->guard[r->pgoff] = r->flags == MMAPLAB_GUARD_INSTALL;
	}
	return true;
}

/* A command the module does not have: -ENOTTY, whatever the argument. */
static bool fuzz_unknown(struct fuzz *f, struct model *m)
{
	unsigned long cmd;
	int got;

	switch (rnd() % 3) {
	case 0:
		cmd = _IOWR(MMAPLAB_IOC_MAGIC, 0x07 + rnd() % 200, char[8]);
		break;
	case 1:
		cmd = _IOW(MMAPLAB_IOC_MAGIC - 1, 0x01, struct mmaplab_config);
		break;
	default:
		/* A real command with another size: that command. */
		cmd = PICK(MMAPLAB_IOC_CONFIGURE, MMAPLAB_IOC_STATS,
			   MMAPLAB_IOC_GUARD, MMAPLAB_IOC_INVALIDATE,
			   MMAPLAB_IOC_CLEAN);
		cmd = (cmd & ~((unsigned long)_IOC_SIZEMASK << _IOC_SIZESHIFT)) |
		      ((rnd() % 512) << _IOC_SIZESHIFT);
		got = do_ioctl(m->fd, cmd, NULL);
		return check(f, "resized command", got, EFAULT, false);
	}
	got = do_ioctl(m->fd, cmd, &buf);
	return check(f, "unknown command", got, ENOTTY, false);
}

static bool fuzz_map(struct fuzz *f, struct model *m)
{
	struct mapping *mp = &f->map[rnd() % NR_MAPS];
	bool shared = rnd() & 1;
	size_t len;
	off_t off;

	if (mp->p) {
		if (munmap(mp->p, mp->len))
			return check(f, "munmap", errno, 0, false);
		mp->p = NULL;
		return true;
	}
	len = (1 + rnd() % 4) * PAGE_SZ;
	off = (rnd() % 4) * PAGE_SZ;
	mp->p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		     shared ? MAP_SHARED : MAP_PRIVATE, m->fd, off);
	if (mp->p == MAP_FAILED) {
		mp->p = NULL;
		/* Unconfigured, or pfn refusing a private mapping. */
		if (errno != EINVAL)
			return check(f, "mmap", errno, EINVAL, false);
		return true;
	}
	mp->len = len;
	m->mapped = true;
	return true;
}

/* The object is what the model says. */
static bool consistent(struct fuzz *f, struct model *m)
{
	struct mmaplab_stats st;
	uint64_t guarded = 0, i;

	if (lab_stats(m->fd, &st)) {
		snprintf(f->failure, sizeof(f->failure), "stats: %s",
			 strerror(errno));
		return false;
	}
	for (i = 0; m->configured && i < m->nr_pages && i < sizeof(m->guard);
	     i++)
		guarded += m->guard[i];
	if (st.backing != (m->configured ? m->backing : 0) ||
	    st.nr_pages != (m->configured ? m->nr_pages : 0) ||
	    st.pages_guarded != guarded || st.pages_resident > st.nr_pages ||
	    st.reserved_pages > st.max_total_pages) {
		snprintf(f->failure, sizeof(f->failure),
			 "call %lu: stats backing %u nr %llu guarded %llu resident %llu, model backing %u nr %llu guarded %llu",
			 f->calls, st.backing, (unsigned long long)st.nr_pages,
			 (unsigned long long)st.pages_guarded,
			 (unsigned long long)st.pages_resident, m->backing,
			 (unsigned long long)m->nr_pages,
			 (unsigned long long)guarded);
		return false;
	}
	return true;
}

/*
 * A fixture only for its time limit: 100000 calls take minutes on the
 * debug kernel under emulation, beyond the harness's default 30 s.
 */
FIXTURE(fuzz) {
	int unused;
};

FIXTURE_SETUP(fuzz)
{
}

FIXTURE_TEARDOWN(fuzz)
{
}

TEST_F_TIMEOUT(fuzz, random_ioctls_match_the_model, 1200)
{
	const char *s = getenv("MMAPLAB_FUZZ_SEED");
	const char *n = getenv("MMAPLAB_FUZZ_CALLS");
	unsigned long calls = n && *n ? strtoul(n, NULL, 0) : 100000;
	static struct fuzz f;
	struct mmaplab_stats g0, g1;
	uint64_t seed;
	char why[256];
	struct model *m;
	int i;

	/* The same calls every run, unless asked for others. */
	if (s && !strcmp(s, "random"))
		seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	else
		seed = s && *s ? strtoull(s, NULL, 0) : 20261129;
	rng_state = seed | 1;
	TH_LOG("seed %llu (MMAPLAB_FUZZ_SEED=%llu replays it), %lu calls",
	       (unsigned long long)seed, (unsigned long long)seed, calls);
	if (lab_global(&g0))
		SKIP(return, "%s: cannot read the module's figures", lab_device());
	f.max_pages = g0.max_pages;
	/* Fuzzed sizes never reach past the model's guard map. */
	ASSERT_LE(f.max_pages, 1UL << 30);

	arena = mmap(NULL, 2 * PAGE_SZ, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	ASSERT_NE(MAP_FAILED, arena);
	ASSERT_NE(MAP_FAILED, ro_page);
	/* Inaccessible, and kept mapped so that nothing else lands there. */
	ASSERT_EQ(0, mprotect(arena + PAGE_SZ, PAGE_SZ, PROT_NONE));

	for (i = 0; i < NR_OBJS; i++) {
		f.obj[i].fd = lab_open(why, sizeof(why));
		ASSERT_LE(0, f.obj[i].fd) TH_LOG("%s", why);
	}
	for (f.calls = 0; f.calls < calls; f.calls++) {
		unsigned int op = rnd() % 100;
		bool ok;

		m = &f.obj[rnd() % NR_OBJS];
		if (rnd() % 2000 == 0) {
			/* A new object in place of an old one. */
			close(m->fd);
			memset(m, 0, sizeof(*m));
			m->fd = lab_open(why, sizeof(why));
			ASSERT_LE(0, m->fd);
		}
		if (op < 20)
			ok = fuzz_configure(&f, m);
		else if (op < 35)
			ok = fuzz_stats(&f, m);
		else if (op < 85)
			ok = m->nr_pages <= sizeof(m->guard) ?
			     fuzz_range(&f, m) : fuzz_stats(&f, m);
		else if (op < 92)
			ok = fuzz_unknown(&f, m);
		else
			ok = fuzz_map(&f, m);
		if (ok && op % 10 == 0)
			ok = consistent(&f, m);
		ASSERT_TRUE(ok) TH_LOG("%s (seed %llu)", f.failure,
				       (unsigned long long)seed);
	}
	for (i = 0; i < NR_OBJS; i++)
		ASSERT_TRUE(consistent(&f, &f.obj[i])) TH_LOG("%s", f.failure);

	for (i = 0; i < NR_MAPS; i++)
		if (f.map[i].p)
			munmap(f.map[i].p, f.map[i].len);
	for (i = 0; i < NR_OBJS; i++)
		close(f.obj[i].fd);
	TH_LOG("answers: 0 x%lu, EINVAL x%lu, EFAULT x%lu, E2BIG x%lu, EFBIG x%lu, EBUSY x%lu, ENOSPC x%lu, ENOTTY x%lu, EOPNOTSUPP x%lu",
	       f.by_errno[0], f.by_errno[EINVAL], f.by_errno[EFAULT],
	       f.by_errno[E2BIG], f.by_errno[EFBIG], f.by_errno[EBUSY],
	       f.by_errno[ENOSPC], f.by_errno[ENOTTY], f.by_errno[EOPNOTSUPP]);
	/* Everything the run made is gone. */
	ASSERT_EQ(0, lab_global(&g1));
	EXPECT_EQ(g0.live_objects, g1.live_objects);
	EXPECT_EQ(g0.live_pages, g1.live_pages);
	EXPECT_EQ(g0.reserved_pages, g1.reserved_pages);
}

TEST_HARNESS_MAIN
