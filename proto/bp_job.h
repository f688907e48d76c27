/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A job's files and I/O between bpsh (on the master) and the node that
 * runs one of its processes (docs/bpsh.md). Pure code over byte buffers,
 * host-tested; shared by bpsh and bpslave.
 *
 * The REXEC of a bpsh process carries a struct bproc_job (uapi): where to
 * connect back to, the launch's secret, the rank, and the SHA-256 of the
 * job's manifest. The manifest lists the files the job sees at their
 * master paths; it is itself an object of the node's cache, fetched like
 * any file when the node lacks it, so the second run of the same program
 * fetches nothing.
 *
 * Manifest (all integers little-endian), entries sorted by path (bytes),
 * each path once:
 *
 *   0  u32 magic   BP_MANIFEST_MAGIC ("BPJM")
 *   4  u16 version 1
 *   6  u16 flags   0
 *   8  u32 nfiles
 *  12  u32 strs_len
 *  16  nfiles x entry (64 bytes):
 *        u8 kind (enum bp_job_kind), u8[3] 0, u32 mode (permission bits,
 *        no set-id bits), u64 size (a file's), u8[32] sha256 (a file's),
 *        u32 path, u32 target (offsets into the strings of a
 *        NUL-terminated string; target only for a symlink, else
 *        0xffffffff), u32 uid, u32 gid (a file's owner on the master)
 *  ..  strs_len bytes of strings, nothing else
 *
 * A path is absolute and normal (no "//", "/./", "/../", no trailing
 * "/"), at most BP_JOB_PATH_MAX bytes, neither "/" nor anything under
 * /proc, /sys or /dev (the node mounts those for the job itself). A
 * symlink's target is any non-empty string (the job's own view).
 */
#ifndef BP_JOB_H
#define BP_JOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/bproc.h>

#define BP_MANIFEST_MAGIC	0x4d4a5042u	/* 'B' 'P' 'J' 'M' */
#define BP_MANIFEST_VERSION	1
#define BP_MANIFEST_HDR_LEN	16
#define BP_MANIFEST_ENTRY_LEN	64
#define BP_MANIFEST_MAX		(64u << 20)	/* bytes of a whole manifest */
#define BP_MANIFEST_FILES_MAX	200000
#define BP_JOB_PATH_MAX		4095		/* without the NUL */
#define BP_JOB_NONE		0xffffffffu

enum bp_job_kind {
	BP_JOB_FILE = 1,	/* a regular file, by content */
	BP_JOB_LINK = 2,	/* a symbolic link */
	BP_JOB_DIR = 3,		/* a directory */
};

struct bp_job_entry {
	uint8_t kind;		/* enum bp_job_kind */
	uint32_t mode;
	uint64_t size;
	uint8_t hash[32];
	const char *path;	/* into the manifest's strings */
	const char *target;	/* LINK, else NULL */
	uint32_t uid, gid;	/* FILE: its owner */
};

/*
 * Building: add entries in any order, then bp_manifest_build() sorts them
 * and writes the bytes. Paths and targets are copied.
 */
struct bp_manifest {
	struct bp_job_entry *e;
	size_t n, cap;
	char **owned;		/* copies of the strings, freed with it */
	size_t nowned;
};

void bp_manifest_init(struct bp_manifest *m);
void bp_manifest_free(struct bp_manifest *m);
/* -EINVAL for a path or mode the format refuses, -EEXIST for a repeat. */
int bp_manifest_add(struct bp_manifest *m, const struct bp_job_entry *e);
/* The manifest's bytes in a malloc'd buffer (*out, *len); sorts @m. */
int bp_manifest_build(struct bp_manifest *m, uint8_t **out, size_t *len);

/*
 * Checking what a node received: every rule above. On success the
 * entries point into @buf (which must outlive them) and *@n says how
 * many; -EBADMSG otherwise, with @why naming the rule and entry.
 */
int bp_manifest_parse(const uint8_t *buf, size_t len,
		      struct bp_job_entry **out, size_t *n,
		      char *why, size_t whylen);

/* Is @path absolute and normal, and not a place the node mounts itself? */
bool bp_job_path_ok(const char *path);

/*
 * The job as bpsh writes it into a REXEC (little-endian fields): parse
 * and check what a node got (-EBADMSG: bad size, flags, padding, strings
 * without their NUL, a path that is not absolute...); the fields are
 * converted to host order in @out.
 */
int bp_job_decode(const void *buf, size_t len, struct bproc_job *out);
void bp_job_encode(const struct bproc_job *in, struct bproc_job *out);

/*
 * bpsh's fan-out tree (docs/bpsh.md, "Many nodes"): the bytes that follow
 * struct bproc_job in a REXEC's job when its size covers them (the uapi
 * struct's own room to grow, which the module carries without looking):
 * the node to fetch the job's files from first, its bpslave's seed port,
 * and its node number (for the log). All zero: fetch from bpsh, as a
 * job of BPROC_JOB_SIZE_VER0 bytes does. Little-endian on the wire.
 *
 * With BP_JOB_TREE_IO (a job of BP_JOB_SIZE_TREE_IO bytes) the standard
 * streams go through the tree too ("Standard streams through the tree"):
 * rank r links up to its parent's relay (src_addr: the node of rank
 * r / fanout - 1) or, for r < fanout, to bpsh, and carries the streams of
 * the ranks below it; @nranks and @fanout say who they are.
 */
struct bp_job_tree {
	uint8_t  src_addr[4];		/* IPv4 */
	uint16_t src_port;
	uint16_t flags;			/* BP_JOB_TREE_* */
	int32_t  src_node;
	uint32_t nranks;		/* TREE_IO: ranks of the launch */
	uint32_t fanout;		/* TREE_IO: the tree's width */
};

#define BP_JOB_TREE_IO		0x1u	/* streams through the tree */

#define BP_JOB_TREE_V1_LEN	12	/* without nranks and fanout */
#define BP_JOB_SIZE_TREE	(BPROC_JOB_SIZE_VER0 + BP_JOB_TREE_V1_LEN)
#define BP_JOB_SIZE_TREE_IO	(BPROC_JOB_SIZE_VER0 + sizeof(struct bp_job_tree))
#define BP_SEED_PORT		2224	/* bpslave --seed-port default */
#define BP_IO_RANKS_MAX		(1u << 20)
#define BP_IO_FANOUT_MAX	1024

/*
 * The tree part of a job @buf of @len bytes (bp_job_decode() checked the
 * rest): zeros when the job is shorter; -EBADMSG when a field is bad.
 */
int bp_job_tree_decode(const void *buf, size_t len, struct bp_job_tree *out);
void bp_job_tree_encode(const struct bp_job_tree *in, struct bp_job_tree *out);

/*
 * The heap of ranks under bpsh, @k wide: rank r's parent (-1: bpsh),
 * whether rank @r is in the subtree of rank @top (itself included), and
 * which child of @top leads to @r (-1: none).
 */
int bp_tree_parent(uint32_t r, uint32_t k);
bool bp_tree_below(uint32_t top, uint32_t r, uint32_t k);
int64_t bp_tree_child_toward(uint32_t top, uint32_t r, uint32_t k);

/*
 * How many bytes of one output stream a rank may have on the way to bpsh
 * and not acknowledged: 16 MiB shared by the ranks, 16 KiB to 4 MiB.
 */
size_t bp_io_window(uint32_t nranks);

/*
 * The I/O streams of a job: what each connection to bpsh carries after
 * its IO_HELLO (docs/bpsh.md).
 */
enum bp_io_stream {
	BP_IO_STDIN = 0,	/* bpsh -> the process's fd 0, raw bytes */
	BP_IO_STDOUT = 1,	/* fd 1 -> bpsh, raw bytes */
	BP_IO_STDERR = 2,	/* fd 2 -> bpsh, raw bytes */
	BP_IO_FILES = 3,	/* FILE_WANT -> bpsh, FILE_DATA/FILE_END back */
	BP_IO_TREE = 4,		/* IO_DATA/IO_ACK/IO_RESEND, a rank's link up */
	BP_IO_NSTREAMS
};

#define BP_IO_NONCE_LEN	16

/*
 * The MAC an IO_HELLO carries: HMAC-SHA256 under the launch's secret of
 * "bproc-io-1", the job id (le64), rank (le32), stream (le32) and nonce.
 */
int bp_io_mac(const uint8_t secret[BPROC_JOB_SECRET_LEN], uint64_t job,
	      uint32_t rank, uint32_t stream,
	      const uint8_t nonce[BP_IO_NONCE_LEN], uint8_t mac[32]);

#endif /* BP_JOB_H */
