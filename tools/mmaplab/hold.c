// SPDX-License-Identifier: GPL-2.0
/*
 * hold.c - the control socket of a held mapping (see remap.h): the
 * holder ("mmaplab create --hold") answers requests on a UNIX socket,
 * "mmaplab remap --pid PID" sends them.
 *
 * The socket is $XDG_RUNTIME_DIR/mmaplab-PID.sock (else
 * /tmp/mmaplab-PID.sock), made with mode 0600 (under umask 0177), and the
 * holder also checks each peer's uid (SO_PEERCRED): only its own user and
 * root are answered.  One request per connection, one at a time; a
 * client that sends nothing for 5 s is dropped, so none can stall the
 * holder.  Sends use MSG_NOSIGNAL: a client gone away costs no SIGPIPE.
 */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "remap.h"

void ml_hold_socket_path(pid_t pid, char *buf, size_t size)
{
	const char *dir = getenv("XDG_RUNTIME_DIR");
	struct stat st;

	if (!dir || dir[0] != '/' || stat(dir, &st) || !S_ISDIR(st.st_mode) ||
	    strlen(dir) > 64)
		dir = "/tmp";
	snprintf(buf, size, "%s/mmaplab-%d.sock", dir, (int)pid);
}

/* ---------------------------------------------------------- the holder */

static sig_atomic_t hold_stop;

static void hold_handler(int sig)
{
	(void)sig;
	WRITE_ONCE(hold_stop, 1);
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Bind a fresh socket at @path, mode 0600; the fd, or -1 (reported). */
static int hold_listen(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int s, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ml_err("control socket path too long: %s", path);
		return -1;
	}
	strcpy(sa.sun_path, path);
	/* A socket of ours left by an earlier process with this pid: stale. */
	if (!lstat(path, &st)) {
		if (!S_ISSOCK(st.st_mode) || st.st_uid != geteuid()) {
			ml_err("%s exists and is not a socket of this user: not replacing it",
			       path);
			return -1;
		}
		unlink(path);
	}
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ml_err("socket: %s", strerror(errno));
		return -1;
	}
	/* A socket is made 0777 less the umask: 0600, from the start. */
	old = umask(0177);
	err = bind(s, (struct sockaddr *)&sa, sizeof(sa)) ? errno : 0;
	umask(old);
	if (!err && listen(s, 4))
		err = errno;
	if (err) {
		ml_err("control socket %s: %s", path, strerror(err));
		close(s);
		return -1;
	}
	return s;
}

/* What the holder logs for each request, on @f. */
static void hold_log(FILE *f, pid_t peer, const struct ml_remap_req *req,
		     const struct ml_remap_resp *resp)
{
	fprintf(f, "%sremap from pid %d: %s: ", out_json() ? "mmaplab: " : "",
		(int)peer, resp->call[0] ? resp->call : ml_remap_op_name(req->op));
	if (resp->err)
		fprintf(f, "%s\n", strerror(resp->err));
	else if (resp->status)
		fprintf(f, "refused: %s\n", resp->msg);
	else
		fprintf(f, "ok\n");
	fflush(f);
}

/* Answer one connection @c. */
static void hold_answer(struct ml_held *h, int c, FILE *log)
{
	struct timeval tv = { .tv_sec = 5 };
	struct ml_remap_req req;
	struct ml_remap_resp *resp;
	struct ucred cred = { .pid = 0 };
	socklen_t len = sizeof(cred);
	ssize_t n;

	resp = xmalloc(sizeof(*resp));
	memset(resp, 0, sizeof(*resp));
	resp->magic = ML_REMAP_MAGIC;
	resp->version = ML_REMAP_VERSION;
	resp->size = sizeof(*resp);
	resp->pid = (int32_t)getpid();

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		resp->status = ML_EXIT_PERM;
		snprintf(resp->msg, sizeof(resp->msg),
			 "the holder answers only its own user (uid %u) and root",
			 (unsigned int)geteuid());
		goto send;
	}
	memset(&req, 0, sizeof(req));
	n = recv(c, &req, sizeof(req), 0);
	if (n != (ssize_t)sizeof(req) || req.magic != ML_REMAP_MAGIC ||
	    req.version != ML_REMAP_VERSION || req.size != sizeof(req)) {
		resp->status = ML_EXIT_FAIL;
		snprintf(resp->msg, sizeof(resp->msg),
			 "garbled request (%zd bytes): is the client another version of mmaplab?",
			 n);
		goto send;
	}
	ml_remap_exec(h, &req, resp);
	hold_log(log, cred.pid, &req, resp);
send:
	/* A client that went away (EPIPE) is none of the holder's worries. */
	if (send(c, resp, sizeof(*resp), MSG_NOSIGNAL) < 0 && errno != EPIPE &&
	    errno != ECONNRESET)
		ml_err("control socket: answering pid %d: %s", (int)cred.pid,
		       strerror(errno));
	free(resp);
}

int ml_hold_serve(struct ml_held *h, uint64_t seconds, bool forever)
{
	FILE *f = out_json() ? stderr : stdout;
	int64_t deadline = now_ms() + (int64_t)seconds * 1000;
	struct sigaction sa, old_int, old_term;
	char path[128], how[64];
	int s, ret = ML_EXIT_OK;

	ml_hold_socket_path(getpid(), path, sizeof(path));
	s = hold_listen(path);
	if (s < 0)
		ret = ML_EXIT_FAIL;

	if (forever)
		snprintf(how, sizeof(how), "until Ctrl-C or SIGTERM");
	else
		snprintf(how, sizeof(how), "for %" PRIu64 " s (Ctrl-C ends it)",
			 seconds);
	fprintf(f, "%sholding: pid %d, mapping 0x%" PRIx64 "-0x%" PRIx64 " (%" PRIu64 " pages), fd %d, %s\n",
		out_json() ? "mmaplab: " : "\n", (int)getpid(), h->base,
		h->base + h->len, h->len / (uint64_t)sysconf(_SC_PAGESIZE),
		h->fd, how);
	if (s >= 0)
		fprintf(f, "%scontrol: %s; try: mmaplab remap --pid %d show; cat /proc/%d/maps\n",
			out_json() ? "mmaplab: " : "", path, (int)getpid(),
			(int)getpid());
	fflush(f);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = hold_handler;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);

	while (!READ_ONCE(hold_stop)) {
		int64_t left = deadline - now_ms();
		struct pollfd p = { .fd = s, .events = POLLIN };
		int c, timeout;

		if (!forever && left <= 0)
			break;
		timeout = forever || left > 1000 ? 1000 : (int)left;
		if (poll(&p, s >= 0 ? 1 : 0, timeout) <= 0)
			continue;
		c = accept4(s, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			continue;
		hold_answer(h, c, f);
		close(c);
	}

	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	if (s >= 0) {
		close(s);
		unlink(path);
	}
	return ret;
}

/* ---------------------------------------------------------- the client */

int ml_hold_request(const char *path, pid_t pid,
		    const struct ml_remap_req *req,
		    struct ml_remap_resp *resp)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 60 };
	char proc[32];
	ssize_t n;
	int s, err;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		ml_err("control socket path too long: %s", path);
		return ML_EXIT_USAGE;
	}
	strcpy(sa.sun_path, path);
	s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s < 0) {
		ml_err("socket: %s", strerror(errno));
		return ML_EXIT_FAIL;
	}
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		err = errno;
		close(s);
		snprintf(proc, sizeof(proc), "/proc/%d", (int)pid);
		if (err == EACCES || err == EPERM) {
			ml_err("%s: %s (the holder's socket is its user's only: run as that user or root)",
			       path, strerror(err));
			return ML_EXIT_PERM;
		}
		if (pid > 0 && access(proc, F_OK))
			ml_err("no holder: pid %d is not running", (int)pid);
		else
			ml_err("no holder at %s: %s (is pid %d an 'mmaplab create --hold' still holding?)",
			       path, strerror(err), (int)pid);
		return ML_EXIT_NOHOLDER;
	}
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, req, sizeof(*req), MSG_NOSIGNAL) != (ssize_t)sizeof(*req)) {
		ml_err("sending to the holder: %s", strerror(errno));
		close(s);
		return ML_EXIT_NOHOLDER;
	}
	n = recv(s, resp, sizeof(*resp), 0);
	err = errno;
	close(s);
	if (n < 0) {
		ml_err("no answer from the holder: %s", strerror(err));
		return ML_EXIT_NOHOLDER;
	}
	if (n != (ssize_t)sizeof(*resp) || resp->magic != ML_REMAP_MAGIC ||
	    resp->version != ML_REMAP_VERSION || resp->size != sizeof(*resp)) {
		ml_err("garbled answer from the holder (%zd bytes): is it another version of mmaplab?",
		       n);
		return ML_EXIT_FAIL;
	}
	return ML_EXIT_OK;
}
