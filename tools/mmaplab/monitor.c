// SPDX-License-Identifier: GPL-2.0
/*
 * monitor.c - "mmaplab monitor": the module's events as they happen, one
 * line each, like "ip monitor".
 *
 * Speaks the generic netlink family "mmaplab" (uapi/linux/mmaplab.h,
 * Documentation/events.rst) through genl.c.  It first lists the live
 * objects (a dump), then joins the "monitor" group (everyone's events:
 * CAP_NET_ADMIN).  Without that privilege it subscribes instead to the
 * objects it can reach: those open in processes whose descriptors it may
 * take (pidfd_getfd(2): the same user, or ptrace rights), so a user
 * follows exactly their own objects.  Each event carries its object's
 * sequence number; a gap is printed as "lost N events", and a receive
 * buffer overrun (ENOBUFS) is reported too.  SIGINT and SIGTERM end it
 * cleanly (exit 0).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <linux/netlink.h>

#include "genl.h"

struct mon_opts {
	uint64_t object;	/* --object: 0 all */
	uint64_t pid;		/* --pid: 0 all */
	uint64_t count;		/* --count: stop after this many events */
	bool dump;		/* list live objects first (--no-dump) */
};

/* The last sequence number seen per object, to spot gaps. */
struct mon_seq {
	uint64_t id;
	uint64_t seq;
};

struct mon {
	struct ml_genl g;
	struct mon_opts opt;
	struct mon_seq *seqs;
	size_t nr_seqs;
	uint64_t events;
	uint64_t lost;
};

static sig_atomic_t mon_stop;

static void mon_signal(int sig)
{
	(void)sig;
	WRITE_ONCE(mon_stop, 1);
}

/* ------------------------------------------------------------ output */

static void mon_time(char *buf, size_t len)
{
	struct timeval tv;
	struct tm tm;
	size_t n;

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	n = strftime(buf, len, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, len - n, ".%06ld", (long)tv.tv_usec);
}

static struct mon_seq *mon_seq_of(struct mon *mon, uint64_t id)
{
	for (size_t i = 0; i < mon->nr_seqs; i++)
		if (mon->seqs[i].id == id)
			return &mon->seqs[i];
	mon->seqs = xrealloc(mon->seqs, (mon->nr_seqs + 1) * sizeof(*mon->seqs));
	mon->seqs[mon->nr_seqs].id = id;
	mon->seqs[mon->nr_seqs].seq = 0;
	return &mon->seqs[mon->nr_seqs++];
}

static void mon_print_lost(uint64_t obj, uint64_t n, const char *why)
{
	char ts[64];

	mon_time(ts, sizeof(ts));
	if (out_json()) {
		json_begin();
		json_str("type", "lost");
		json_str("time", ts);
		if (obj)
			json_u64("object", obj);
		if (n)
			json_u64("events", n);
		json_str("reason", why);
		json_end();
	} else if (obj) {
		printf("[%s] %slost %llu events%s of object %llu (%s)\n", ts,
		       out_sgr(OC_RED), (unsigned long long)n, out_sgr_reset(),
		       (unsigned long long)obj, why);
	} else {
		printf("[%s] %slost events%s: %s\n", ts, out_sgr(OC_RED),
		       out_sgr_reset(), why);
	}
	fflush(stdout);
}

static void mon_print_object(const struct ml_event *m)
{
	char flags[128];

	ml_config_flags_str(m->config_flags, ",", flags, sizeof(flags));
	if (out_json()) {
		json_begin();
		json_str("type", "object");
		json_u64("object", m->obj);
		json_str("backing", ml_backing_name(m->backing) ?: "unknown");
		json_str("flags", flags);
		json_u64("nr_pages", m->nr_pages);
		json_u64("uid", m->uid);
		json_u64("seq", m->seq);
		json_u64("lost", m->lost);
		json_arr_open("vmas");
		for (unsigned int i = 0; i < m->nr_vmas && i < ARRAY_SIZE(m->vmas); i++) {
			json_obj_open(NULL);
			json_u64("start", m->vmas[i].start);
			json_u64("end", m->vmas[i].end);
			json_u64("pgoff", m->vmas[i].pgoff);
			json_u64("pid", m->vmas[i].pid);
			json_obj_close();
		}
		json_arr_close();
		json_end();
		return;
	}
	printf("object %s%llu%s %s %llu pages flags %s uid %u seq %llu lost %llu vmas %u\n",
	       out_sgr(OC_BOLD), (unsigned long long)m->obj, out_sgr_reset(),
	       ml_backing_name(m->backing) ?: "unknown",
	       (unsigned long long)m->nr_pages, flags, m->uid,
	       (unsigned long long)m->seq, (unsigned long long)m->lost,
	       m->nr_vmas);
	for (unsigned int i = 0; i < m->nr_vmas && i < ARRAY_SIZE(m->vmas); i++)
		printf("    vma %llx-%llx pgoff %llu pid %u\n",
		       (unsigned long long)m->vmas[i].start,
		       (unsigned long long)m->vmas[i].end,
		       (unsigned long long)m->vmas[i].pgoff, m->vmas[i].pid);
}

static void mon_print_event(const struct ml_event *m)
{
	const char *name = ml_event_name(m->event);
	const char *outcome = ml_fault_outcome_name(m->outcome);
	char ts[64], ff[64];

	mon_time(ts, sizeof(ts));
	ml_fault_flags_str(m->fault_flags, ff, sizeof(ff));
	if (out_json()) {
		json_begin();
		json_str("type", "event");
		json_str("time", ts);
		json_str("event", name);
		json_u64("object", m->obj);
		json_u64("seq", m->seq);
		json_u64("pid", m->pid);
		json_str("comm", m->comm);
		if (ml_event_has(m, MMAPLAB_A_VMA_START)) {
			json_u64("vma_start", m->vma_start);
			json_u64("vma_end", m->vma_end);
			json_u64("vma_pgoff", m->vma_pgoff);
		}
		if (ml_event_has(m, MMAPLAB_A_ADDR))
			json_u64("addr", m->addr);
		if (ml_event_has(m, MMAPLAB_A_END))
			json_u64("end", m->end);
		if (ml_event_has(m, MMAPLAB_A_PGOFF))
			json_u64("pgoff", m->pgoff);
		if (ml_event_has(m, MMAPLAB_A_NR_PAGES))
			json_u64("nr_pages", m->nr_pages);
		if (ml_event_has(m, MMAPLAB_A_FAULT_FLAGS))
			json_str("access", ff);
		if (ml_event_has(m, MMAPLAB_A_OUTCOME))
			json_str("outcome", outcome);
		if (ml_event_has(m, MMAPLAB_A_OUTCOME))
			json_bool("allocated", m->allocated);
		if (ml_event_has(m, MMAPLAB_A_RESULT))
			json_u64("result", m->result);
		if (ml_event_has(m, MMAPLAB_A_PROT))
			json_u64("prot", m->prot);
		if (ml_event_has(m, MMAPLAB_A_RANGE_FLAGS))
			json_u64("range_flags", m->range_flags);
		if (ml_event_has(m, MMAPLAB_A_BACKING))
			json_str("backing", ml_backing_name(m->backing) ?: "unknown");
		json_end();
		fflush(stdout);
		return;
	}

	printf("[%s] obj %llu #%llu %s%s%s pid %u (%s)", ts,
	       (unsigned long long)m->obj, (unsigned long long)m->seq,
	       out_sgr(OC_CYAN), name, out_sgr_reset(), m->pid, m->comm);
	if (ml_event_has(m, MMAPLAB_A_VMA_START))
		printf(" vma %llx-%llx", (unsigned long long)m->vma_start,
		       (unsigned long long)m->vma_end);
	switch (m->event) {
	case MMAPLAB_EV_CONFIGURED:
		printf(" backing %s size %llu pages",
		       ml_backing_name(m->backing) ?: "unknown",
		       (unsigned long long)m->nr_pages);
		break;
	case MMAPLAB_EV_MAY_SPLIT:
		printf(" at %llx", (unsigned long long)m->addr);
		break;
	case MMAPLAB_EV_MPROTECT:
		printf(" %llx-%llx prot %c%c%c", (unsigned long long)m->addr,
		       (unsigned long long)m->end, m->prot & 1 ? 'r' : '-',
		       m->prot & 2 ? 'w' : '-', m->prot & 4 ? 'x' : '-');
		break;
	case MMAPLAB_EV_FAULT:
		printf(" addr %llx pgoff %llu %s %s%s%s%s",
		       (unsigned long long)m->addr,
		       (unsigned long long)m->pgoff, ff,
		       m->outcome >= MMAPLAB_FAULT_OUTCOME_SIGBUS ?
		       out_sgr(OC_YELLOW) : "", outcome, out_sgr_reset(),
		       m->allocated ? " allocated" : "");
		break;
	case MMAPLAB_EV_PAGE_MKWRITE:
	case MMAPLAB_EV_PFN_MKWRITE:
		printf(" addr %llx pgoff %llu", (unsigned long long)m->addr,
		       (unsigned long long)m->pgoff);
		break;
	case MMAPLAB_EV_MAP_PAGES:
		printf(" pgoff %llu+%llu", (unsigned long long)m->pgoff,
		       (unsigned long long)m->nr_pages);
		if (ml_event_has(m, MMAPLAB_A_RESULT))
			printf(" mapped %llu", (unsigned long long)m->result);
		break;
	case MMAPLAB_EV_GUARD:
	case MMAPLAB_EV_INVALIDATE:
	case MMAPLAB_EV_CLEAN:
		printf(" pgoff %llu+%llu flags %#x result %llu",
		       (unsigned long long)m->pgoff,
		       (unsigned long long)m->nr_pages, m->range_flags,
		       (unsigned long long)m->result);
		break;
	}
	putchar('\n');
	fflush(stdout);
}

/* ----------------------------------------------------------- netlink */

static void mon_event(struct mon *mon, const struct nlmsghdr *nlh);

/* ml_genl_talk()'s callbacks for what arrives while a request waits. */
static void mon_talk_event(struct ml_genl *g, const struct nlmsghdr *nlh)
{
	mon_event(g->priv, nlh);
}

static void mon_talk_overrun(struct ml_genl *g, const struct nlmsghdr *nlh)
{
	(void)g;
	(void)nlh;
	mon_print_lost(0, 0, "receive buffer overrun (ENOBUFS)");
}

static bool mon_wanted(const struct mon *mon, const struct ml_event *m)
{
	if (mon->opt.object && m->obj != mon->opt.object)
		return false;
	if (mon->opt.pid && m->pid != mon->opt.pid && m->cmd != MMAPLAB_CMD_OBJ_GET)
		return false;
	return true;
}

static int mon_obj_cb(const struct nlmsghdr *nlh, void *data)
{
	struct mon *mon = data;
	struct ml_event m;
	struct mon_seq *s;

	if (nlh->nlmsg_type != mon->g.family)
		return MNL_CB_OK;
	ml_event_parse(nlh, &m);
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		ml_err("objects came or went during the listing: it may be inconsistent");
	if (!mon_wanted(mon, &m))
		return MNL_CB_OK;
	s = mon_seq_of(mon, m.obj);
	if (m.seq > s->seq)
		s->seq = m.seq;
	mon_print_object(&m);
	return MNL_CB_OK;
}

static void mon_event(struct mon *mon, const struct nlmsghdr *nlh)
{
	struct ml_event m;
	struct mon_seq *s;

	ml_event_parse(nlh, &m);
	if (m.cmd != MMAPLAB_CMD_EVENT_NTF)
		return;
	if (mon->opt.object && m.obj != mon->opt.object)
		return;
	/* Gaps are counted whatever --pid filters out. */
	s = mon_seq_of(mon, m.obj);
	if (s->seq && m.seq > s->seq + 1) {
		mon->lost += m.seq - s->seq - 1;
		mon_print_lost(m.obj, m.seq - s->seq - 1,
			       "numbers skipped: the receive buffer was full or the module had no memory");
	}
	if (m.seq > s->seq)
		s->seq = m.seq;
	if (!mon_wanted(mon, &m))
		return;
	mon->events++;
	mon_print_event(&m);
}

/*
 * Without CAP_NET_ADMIN: subscribe to every object open in a process
 * whose descriptors we may take (pidfd_getfd), optionally only @pid's.
 * Returns how many subscriptions were made.
 */
static int mon_subscribe_reachable(struct mon *mon)
{
	char path[PATH_MAX], link[PATH_MAX], why[256];
	struct dirent *pd, *fdent;
	DIR *proc, *fds;
	int made = 0;

	proc = opendir("/proc");
	if (!proc)
		return 0;
	while ((pd = readdir(proc))) {
		long pid = strtol(pd->d_name, NULL, 10);
		int pidfd;

		if (pid <= 0 || (mon->opt.pid && (uint64_t)pid != mon->opt.pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/fd", pid);
		fds = opendir(path);
		if (!fds)
			continue;
		pidfd = syscall(SYS_pidfd_open, (pid_t)pid, 0);
		while (pidfd >= 0 && (fdent = readdir(fds))) {
			struct mmaplab_stats st;
			ssize_t n;
			int fd;

			snprintf(path, sizeof(path), "/proc/%ld/fd/%s", pid,
				 fdent->d_name);
			n = readlink(path, link, sizeof(link) - 1);
			if (n <= 0)
				continue;
			link[n] = 0;
			if (strcmp(link, ml_opt.device))
				continue;
			fd = syscall(SYS_pidfd_getfd, pidfd,
				     atoi(fdent->d_name), 0);
			if (fd < 0)
				continue;
			if (ml_stats(fd, 0, &st) ||
			    (mon->opt.object && st.object_id != mon->opt.object)) {
				close(fd);
				continue;
			}
			if (!ml_genl_subscribe(&mon->g, fd, why, sizeof(why)))
				made++;
			/* The subscription does not need the descriptor. */
			close(fd);
		}
		if (pidfd >= 0)
			close(pidfd);
		closedir(fds);
	}
	closedir(proc);
	return made;
}

static int mon_dump(struct mon *mon)
{
	char buf[MNL_SOCKET_BUFFER_SIZE], why[256] = "";
	struct nlmsghdr *nlh;
	int err;

	nlh = ml_genl_req(&mon->g, buf, mon->g.family, NLM_F_DUMP,
			  MMAPLAB_CMD_OBJ_GET);
	err = ml_genl_talk(&mon->g, nlh, mon_obj_cb, mon, why, sizeof(why));
	if (err)
		ml_err("listing the live objects: %s%s%s", strerror(-err),
		       why[0] ? ": " : "", why);
	return err;
}

static int mon_loop(struct mon *mon)
{
	char buf[MNL_SOCKET_BUFFER_SIZE * 4];
	const struct nlmsghdr *nlh;
	int len;

	while (!READ_ONCE(mon_stop)) {
		len = recv(mnl_socket_get_fd(mon->g.sk), buf, sizeof(buf), 0);
		if (len < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				mon_print_lost(0, 0, "receive buffer overrun (ENOBUFS)");
				continue;
			}
			ml_err("recv: %s", strerror(errno));
			return ML_EXIT_FAIL;
		}
		for (nlh = (void *)buf; mnl_nlmsg_ok(nlh, len);
		     nlh = mnl_nlmsg_next(nlh, &len)) {
			/* Notifications carry sequence number 0. */
			if (nlh->nlmsg_type == mon->g.family && !nlh->nlmsg_seq)
				mon_event(mon, nlh);
			if (mon->opt.count && mon->events >= mon->opt.count)
				return ML_EXIT_OK;
		}
	}
	return ML_EXIT_OK;
}

static void monitor_usage(FILE *f)
{
	fputs("Usage: mmaplab [GLOBAL OPTIONS] monitor [OPTIONS]\n"
	      "\n"
	      "Print the module's events as they happen, one line each with a\n"
	      "timestamp (-j: one JSON object per line), after a listing of the\n"
	      "live objects and their VMAs.  Everyone's events need CAP_NET_ADMIN\n"
	      "(the \"monitor\" group); without it, the objects open in processes\n"
	      "whose descriptors this user may take (pidfd_getfd) are followed.\n"
	      "A gap in an object's event numbers is printed as \"lost N events\".\n"
	      "Ctrl-C or SIGTERM ends it.\n"
	      "\n"
	      "Options:\n"
	      "  -o, --object ID   only the events of object ID\n"
	      "  -p, --pid PID     only events caused by process PID (without\n"
	      "                    CAP_NET_ADMIN: follow PID's objects)\n"
	      "  -n, --count N     exit after N events\n"
	      "      --no-dump     do not list the live objects first\n"
	      "  -h, --help        show this help and exit\n"
	      "\n"
	      "Exit status: 0 success (also when interrupted), 1 netlink failed\n"
	      "or nothing can be followed, 2 usage error, 3 module not loaded.\n",
	      f);
}

ml_command_fn cmd_monitor;

int cmd_monitor(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "object",  required_argument, NULL, 'o' },
		{ "pid",     required_argument, NULL, 'p' },
		{ "count",   required_argument, NULL, 'n' },
		{ "no-dump", no_argument,       NULL, 'D' },
		{ "help",    no_argument,       NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct mon mon = { .opt.dump = true };
	struct sigaction sa = { .sa_handler = mon_signal };
	int c, grp, ret;

	while ((c = getopt_long(argc, argv, "o:p:n:h", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (ml_parse_u64("monitor", "--object", optarg,
					 UINT64_MAX, &mon.opt.object))
				return ML_EXIT_USAGE;
			break;
		case 'p':
			if (ml_parse_u64("monitor", "--pid", optarg, INT_MAX,
					 &mon.opt.pid))
				return ML_EXIT_USAGE;
			break;
		case 'n':
			if (ml_parse_u64("monitor", "--count", optarg,
					 UINT64_MAX, &mon.opt.count))
				return ML_EXIT_USAGE;
			break;
		case 'D':
			mon.opt.dump = false;
			break;
		case 'h':
			monitor_usage(stdout);
			return ML_EXIT_OK;
		default:
			return ml_option_error("monitor", argv);
		}
	}
	if (optind < argc)
		return ml_usage_error("monitor", "unexpected argument '%s'",
				      argv[optind]);

	mon.g.on_event = mon_talk_event;
	mon.g.on_overrun = mon_talk_overrun;
	mon.g.priv = &mon;
	ret = ml_genl_open(&mon.g);
	if (ret)
		return ret;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	/* Join first, then list: no event falls between the two. */
	grp = mon.g.mcgrp;
	if (mnl_socket_setsockopt(mon.g.sk, NETLINK_ADD_MEMBERSHIP, &grp,
				  sizeof(grp)) < 0) {
		if (errno != EPERM && errno != EACCES) {
			ml_err("joining group \"%s\": %s", MMAPLAB_GENL_MCGRP,
			       strerror(errno));
			ret = ML_EXIT_FAIL;
			goto out;
		}
		if (!mon_subscribe_reachable(&mon)) {
			ml_err("everyone's events need CAP_NET_ADMIN, and no object of yours is open%s",
			       mon.opt.pid ? " in that process" : "");
			ret = ML_EXIT_FAIL;
			goto out;
		}
	}
	if (mon.opt.dump && mon_dump(&mon)) {
		ret = ML_EXIT_FAIL;
		goto out;
	}
	fflush(stdout);
	ret = mon_loop(&mon);
out:
	free(mon.seqs);
	ml_genl_close(&mon.g);
	return ret;
}
