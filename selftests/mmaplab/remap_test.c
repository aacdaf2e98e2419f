// SPDX-License-Identifier: GPL-2.0
/*
 * remap_test.c - the control socket of "mmaplab create --hold" against
 * clients that are not the mmaplab tool: another user is refused, and
 * garbage or random requests get an answer (or a closed connection)
 * while the holder lives on, changes nothing outside what it holds, and
 * still answers the real tool afterwards.  tool_test.sh checks what each
 * well-formed operation does; this checks what ill-formed ones cannot do.
 *
 * The wire format is the tool's (tools/mmaplab/remap.h); it is spelled
 * out here as the test's own copy, since a client of another build would
 * see it the same way: a request is ten 32- and 64-bit fields, 56 bytes.
 *
 * Needs the module loaded and the mmaplab tool in PATH (the VM has both);
 * skips, saying which, when one is missing.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "mmaplab_lib.h"

#define REQ_MAGIC	0x6d6c7270u
#define REQ_VERSION	1

/* The tool's struct ml_remap_req. */
struct wire_req {
	uint32_t magic, version, size, op, unit, arg;
	uint64_t start, count, amount, target;
};

FIXTURE(holder) {
	pid_t pid;
	int out;			/* the holder's stdout (a file) */
	char sock[108];
};

/* Read the holder's output file @fd until its "control: PATH;" line. */
static bool wait_control(int fd, char *path, size_t size)
{
	char buf[16384];

	for (int tries = 0; tries < 200; tries++) {
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		char *c, *semi;

		if (n > 0) {
			buf[n] = '\0';
			c = strstr(buf, "\ncontrol: ");
			if (c && (semi = strchr(c, ';'))) {
				snprintf(path, size, "%.*s",
					 (int)(semi - c - 10), c + 10);
				return true;
			}
		}
		usleep(100 * 1000);
	}
	return false;
}

FIXTURE_SETUP(holder)
{
	char why[256], out[32];
	int fd;

	self->pid = -1;
	fd = lab_open(why, sizeof(why));
	if (fd < 0)
		SKIP(return, "%s", why);
	close(fd);
	if (system("command -v mmaplab >/dev/null 2>&1"))
		SKIP(return, "the mmaplab tool is not in PATH (build it with 'make tools')");
	/* Its output goes to a file: a pipe nobody reads could fill up. */
	strcpy(out, "/tmp/remap_test.XXXXXX");
	self->out = mkstemp(out);
	ASSERT_LE(0, self->out);
	unlink(out);
	self->pid = fork();
	ASSERT_LE(0, self->pid);
	if (self->pid == 0) {
		dup2(self->out, 1);
		execlp("mmaplab", "mmaplab", "create", "--pages", "8",
		       "--hold", "forever", (char *)NULL);
		_exit(127);
	}
	ASSERT_TRUE(wait_control(self->out, self->sock, sizeof(self->sock)));
}

FIXTURE_TEARDOWN(holder)
{
	int status;

	if (self->pid <= 0)
		return;
	kill(self->pid, SIGTERM);
	waitpid(self->pid, &status, 0);
	close(self->out);
	/* SIGTERM ends a hold normally: exit status 0, socket removed. */
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_NE(0, access(self->sock, F_OK));
}

static bool alive(pid_t pid)
{
	int status;

	return waitpid(pid, &status, WNOHANG) == 0;
}

/* Connect to @path: the socket, or -errno. */
static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (s < 0)
		return -errno;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		close(s);
		return -err;
	}
	return s;
}

/*
 * Send @len bytes of @msg and wait for the answer: its size, 0 when the
 * holder closed without one, or -errno.
 */
static ssize_t exchange(const char *path, const void *msg, size_t len)
{
	static char answer[65536];
	struct timeval tv = { .tv_sec = 30 };
	int s = dial(path);
	ssize_t n;

	if (s < 0)
		return s;
	setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (send(s, msg, len, MSG_NOSIGNAL) < 0) {
		n = -errno;
		close(s);
		return n;
	}
	n = recv(s, answer, sizeof(answer), 0);
	if (n < 0)
		n = -errno;
	close(s);
	return n;
}

/* The tool itself, run against the holder: its exit status. */
static int tool(pid_t pid, const char *args)
{
	char cmd[256];
	int status;

	snprintf(cmd, sizeof(cmd), "mmaplab remap --pid %d %s >/dev/null 2>&1",
		 (int)pid, args);
	status = system(cmd);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST_F(holder, socket_is_the_users_only)
{
	struct stat st;

	SETUP_OR_SKIP();
	ASSERT_EQ(0, stat(self->sock, &st));
	EXPECT_TRUE(S_ISSOCK(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(geteuid(), st.st_uid);
}

TEST_F(holder, other_user_refused)
{
	pid_t child;
	int status;

	SETUP_OR_SKIP();
	if (geteuid() != 0)
		SKIP(return, "needs root to become another user");
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		int s;

		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		s = dial(self->sock);
		/* The socket is 0600: connect() itself is refused. */
		_exit(s == -EACCES ? 0 : 1);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_TRUE(alive(self->pid));
	/* And the tool says so: exit status 4, with the reason. */
	if (fork() == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(2);
		_exit(tool(self->pid, "show") == 4 ? 0 : 1);
	}
	wait(&status);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F(holder, garbage_is_answered)
{
	struct wire_req req;
	char junk[300];
	ssize_t n;

	SETUP_OR_SKIP();
	memset(junk, 0xa5, sizeof(junk));
	/* Too short, too long, wrong magic, wrong version, wrong size. */
	EXPECT_LT(0, exchange(self->sock, junk, 1));
	EXPECT_LT(0, exchange(self->sock, junk, sizeof(junk)));
	memset(&req, 0, sizeof(req));
	req.magic = REQ_MAGIC;
	req.version = REQ_VERSION + 1;
	req.size = sizeof(req);
	EXPECT_LT(0, exchange(self->sock, &req, sizeof(req)));
	req.version = REQ_VERSION;
	req.size = sizeof(req) + 8;
	EXPECT_LT(0, exchange(self->sock, &req, sizeof(req)));
	/* A client that connects and says nothing is dropped in time. */
	n = dial(self->sock);
	ASSERT_LE(0, n);
	close((int)n);
	EXPECT_TRUE(alive(self->pid));
	EXPECT_EQ(0, tool(self->pid, "show"));
}

/*
 * Random requests: every op number (and some past the last), every unit,
 * arguments from the whole 32-bit range (MADV_HWPOISON included), page
 * numbers small and huge, addresses of the holder's libc.  Each gets an
 * answer; the holder never dies, and its libc's first VMA and its stack
 * are still there afterwards.
 */
TEST_F(holder, random_requests_survive)
{
	static const uint32_t args[] = {
		0, 1, 2, 3, 4, 7, 8, 20, 21, 100, 101, 102, 103, 0xffffffff,
	};
	char maps[256], line[512], first[512] = "";
	unsigned long long lib_start = 0;
	bool seen_lib, seen_stack = false;
	FILE *f;
	int i;

	SETUP_OR_SKIP();
	/* An address of the holder's own: the start of its libc. */
	snprintf(maps, sizeof(maps), "/proc/%d/maps", (int)self->pid);
	f = fopen(maps, "re");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "libc") && !lib_start) {
			sscanf(line, "%llx", &lib_start);
			snprintf(first, sizeof(first), "%s", line);
		}
	}
	fclose(f);

	srand(12345);
	for (i = 0; i < 400; i++) {
		struct wire_req req = {
			.magic = REQ_MAGIC, .version = REQ_VERSION,
			.size = sizeof(req),
			.op = (uint32_t)(rand() % 16),
			.unit = (uint32_t)(rand() % 3),
			.arg = args[rand() % (sizeof(args) / sizeof(args[0]))],
			.start = (uint64_t)(rand() % 12),
			.count = (uint64_t)(rand() % 4),
			.amount = (uint64_t)(rand() % 3),
		};

		if (req.unit == 1)
			req.start = rand() % 2 ? lib_start : lib_start + 1;
		if (req.unit == 1)
			req.count = rand() % 2 ? 4096 : 1 << 20;
		if (rand() % 8 == 0)
			req.start = UINT64_MAX - (uint64_t)(rand() % 4096);
		if (rand() % 8 == 0)
			req.target = rand() % 2 ? lib_start : 4096;
		ASSERT_LT(0, exchange(self->sock, &req, sizeof(req))) {
			TH_LOG("request %d (op %u unit %u arg %u) got no answer",
			       i, req.op, req.unit, req.arg);
		}
		ASSERT_TRUE(alive(self->pid)) {
			TH_LOG("the holder died at request %d (op %u unit %u arg %u start %llu)",
			       i, req.op, req.unit, req.arg,
			       (unsigned long long)req.start);
		}
	}

	/* The holder's libc and stack are where and what they were. */
	f = fopen(maps, "re");
	ASSERT_NE(NULL, f);
	seen_lib = !first[0];
	while (fgets(line, sizeof(line), f)) {
		seen_lib |= !strcmp(line, first);
		seen_stack |= strstr(line, "[stack]") != NULL;
	}
	fclose(f);
	EXPECT_TRUE(seen_lib);
	EXPECT_TRUE(seen_stack);
	EXPECT_EQ(0, tool(self->pid, "show"));
}

TEST_HARNESS_MAIN
