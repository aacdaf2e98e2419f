/* SPDX-License-Identifier: GPL-2.0 */
/*
 * remap.h - what "mmaplab remap" and the holder of "mmaplab create --hold"
 * share: a request (an operation on a range of the held mapping), the
 * answer (what the kernel said, the VMAs and the object's counters before
 * and after), the holder's own state, and the control socket that carries
 * requests and answers between two processes of this same tool.
 *
 *	remap_exec.c	the holder's side: validate a request, run it,
 *			snapshot /proc/self/smaps, pagemap and the stats
 *	hold.c		the control socket: the holder's loop, the client
 *	remap.c		the command: its options, the report
 *
 * A request and its answer are fixed-size structures sent as one
 * SOCK_SEQPACKET message each; both ends are this tool, so they are sent
 * as they are, checked by magic, version and size.
 */
#ifndef MMAPLAB_REMAP_H
#define MMAPLAB_REMAP_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib.h"
#include "mapping.h"

#define ML_REMAP_MAGIC		0x6d6c7270u	/* "mlrp" */
#define ML_REMAP_VERSION	1

/* The operations, 0 reserved so that an unset request is caught. */
enum ml_remap_op {
	RM_NONE,
	RM_SHOW,		/* nothing: the VMAs as they are */
	RM_TOUCH,		/* read or write byte 0 of each page */
	RM_GROW,		/* mremap() to a larger size */
	RM_SHRINK,		/* mremap() to a smaller size */
	RM_MOVE,		/* mremap(MREMAP_MAYMOVE | MREMAP_FIXED) */
	RM_DONTUNMAP,		/* mremap(MREMAP_MAYMOVE | MREMAP_DONTUNMAP) */
	RM_FIXED,		/* mmap(MAP_FIXED) over part of the mapping */
	RM_REMAP_FILE_PAGES,	/* remap_file_pages() */
	RM_MPROTECT,
	RM_MADVISE,
	RM_MSYNC,
	RM_MUNMAP,
	RM_NR_OPS
};

/* How a request names its range. */
enum ml_remap_unit {
	RU_PAGES,	/* start and count are pages of the held mapping */
	RU_BYTES,	/* start is an address, count bytes */
};

/* RM_FIXED: what goes in. */
enum {
	RM_FIXED_ANON,		/* new private anonymous memory */
	RM_FIXED_OBJECT,	/* the object again, from page @amount */
};

/* RM_GROW: may the kernel move the mapping (MREMAP_MAYMOVE)? */
#define RM_GROW_MAYMOVE		1u

struct ml_remap_req {
	uint32_t magic;
	uint32_t version;
	uint32_t size;		/* sizeof(struct ml_remap_req) */
	uint32_t op;		/* enum ml_remap_op */
	uint32_t unit;		/* enum ml_remap_unit */
	uint32_t arg;		/* prot, advice, msync flags, touch, ... */
	uint64_t start;		/* page of the mapping, or an address */
	uint64_t count;		/* pages or bytes; 0: to the mapping's end */
	uint64_t amount;	/* grow/shrink: pages; rfp, fixed: object page */
	uint64_t target;	/* move: an address; 0: the holder picks one */
};

/* One VMA as /proc/PID/smaps shows it, and its pages' presence. */
#define ML_VMA_PATH_MAX		80
#define ML_VMA_PRESENT_MAX	64	/* pages shown one by one */
struct ml_remap_vma {
	uint64_t start;
	uint64_t end;
	uint64_t offset;	/* the file offset, bytes */
	uint64_t rss_kb;	/* smaps "Rss:" */
	uint64_t present;	/* pages present in the page table (pagemap) */
	uint64_t swapped;	/* pages swapped out (pagemap) */
	char perms[8];		/* "rw-s" */
	char path[ML_VMA_PATH_MAX];
	/* per page: 'P' present, 'g' guard, 's' swapped, '.' none; "": no pagemap */
	char pages[ML_VMA_PRESENT_MAX + 1];
};

#define ML_SNAP_MAX_VMAS	32
struct ml_snapshot {
	uint32_t nr_vmas;
	uint32_t more;		/* VMAs past ML_SNAP_MAX_VMAS, not shown */
	int32_t stats_err;	/* 0, or the negative errno of STATS */
	uint32_t pagemap;	/* 1: pages[] came from pagemap */
	struct ml_remap_vma vmas[ML_SNAP_MAX_VMAS];
	struct mmaplab_stats st;
};

struct ml_remap_resp {
	uint32_t magic;
	uint32_t version;
	uint32_t size;		/* sizeof(struct ml_remap_resp) */
	int32_t status;		/* ML_EXIT_*: what the client exits with */
	int32_t err;		/* errno of the system call, or 0 */
	uint32_t ran;		/* 1: the system call was made */
	int32_t pid;		/* the holder */
	uint32_t __pad;
	uint64_t addr;		/* the range, resolved */
	uint64_t len;
	uint64_t result;	/* mremap(): the new address; touch: signals */
	uint64_t map_start;	/* the held mapping (base of page numbers) */
	uint64_t map_len;
	char call[160];		/* the system call, as C */
	char msg[400];		/* why it failed, or a note */
	struct ml_snapshot before;
	struct ml_snapshot after;
};

/* The address space the holder made and may change: a set of ranges. */
#define ML_HELD_MAX_RANGES	16
struct ml_held {
	int fd;			/* the object */
	int map;		/* MAP_SHARED or MAP_PRIVATE */
	int prot;
	uint64_t base;		/* page 0 of the held mapping, as it was made */
	/* its length (grow or shrink in place at its end changes it) */
	uint64_t len;
	unsigned int nr;
	struct { uint64_t start, end; } r[ML_HELD_MAX_RANGES];
};

/* Start the holder's state with the mapping [@addr, @addr + @len) of @fd. */
void ml_held_init(struct ml_held *h, int fd, void *addr, size_t len,
		  int map, int prot);

/* Unmap everything @h holds (the mapping may have moved or split). */
void ml_held_release(struct ml_held *h);

/*
 * Run @req on @h (remap_exec.c), in this process, and fill @resp: the
 * snapshots before and after, the call, and a message for anything
 * refused or failed.  Never touches memory outside @h's ranges; an access
 * that raises SIGBUS or SIGSEGV is a result.
 */
void ml_remap_exec(struct ml_held *h, const struct ml_remap_req *req,
		   struct ml_remap_resp *resp);

/* Names: "mprotect", ...; for the report and the request parser. */
const char *ml_remap_op_name(uint32_t op);
/* "dontneed", ... for an advice value; NULL when unknown. */
const char *ml_advice_name(uint32_t advice);
/* The advice named @name, or -1. */
int ml_advice_parse(const char *name);

/* ------------------------------------------------- the control socket */

/*
 * The socket path of holder @pid in @buf: $XDG_RUNTIME_DIR/mmaplab-PID.sock
 * when that is set and is a directory, else /tmp/mmaplab-PID.sock.
 */
void ml_hold_socket_path(pid_t pid, char *buf, size_t size);

/*
 * The holder: make its socket (mode 0600), print the "holding" line and
 * answer requests on @h until @seconds have passed (0: until SIGINT or
 * SIGTERM), then remove the socket.  Returns ML_EXIT_OK, or ML_EXIT_FAIL
 * when the socket could not be made (reported; the mapping is still held
 * for @seconds).
 */
int ml_hold_serve(struct ml_held *h, uint64_t seconds, bool forever);

/*
 * The client: send @req to the holder at @path and wait for @resp.
 * Returns ML_EXIT_OK, or an exit code after reporting why there is no
 * answer (no holder there, not allowed, a garbled answer).
 */
int ml_hold_request(const char *path, pid_t pid,
		    const struct ml_remap_req *req,
		    struct ml_remap_resp *resp);

#endif /* MMAPLAB_REMAP_H */
