/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a job needs on a node (docs/bpsh.md, "Shipping"): the program,
 * for a #! script its interpreters, the ELF closure of every ELF file
 * among them (PT_INTERP, DT_NEEDED transitively with the dynamic linker's
 * search order), and paths the user or the configuration names. Each is a
 * struct bpsh_file with the path at which the job opens it; regular files
 * carry a SHA-256 of their content, which is how the node's cache knows
 * them (bpsh_hash_*()).
 *
 * Pure with respect to the node: everything is read from the master's
 * file system, under an optional root prefix (host tests build a tree of
 * fixture ELF files and look them up under it). Functions return 0 or a
 * negative errno; on failure they fill the caller's struct bpsh_err with
 * a message naming the file and the cause ("libfoo.so.1 (needed by
 * /usr/bin/prog): not found in RUNPATH, ld.so.cache or the system
 * directories"). They neither print nor exit.
 */
#ifndef BPSH_FILES_H
#define BPSH_FILES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bp_crypto.h"

#define BPSH_HASH_LEN	BP_SHA256_LEN

enum bpsh_file_kind {
	BPSH_FILE_REG = 1,	/* a regular file: shipped by content */
	BPSH_FILE_LINK,		/* a symbolic link: recreated on the node */
	BPSH_FILE_DIR,		/* a directory: created on the node */
};

struct bpsh_file {
	char *path;		/* absolute, normalised (no //, /./, /../) */
	enum bpsh_file_kind kind;
	char *target;		/* LINK: the link's contents, as readlink(2) */
	uint32_t mode;		/* permission bits (07777) */
	uint64_t size;		/* REG: bytes */
	uint64_t dev, ino;	/* REG: of the file read (after symlinks) */
	int64_t mtime_ns, ctime_ns;
	uint8_t hash[BPSH_HASH_LEN];	/* REG, once hashed */
	bool hashed;
};

struct bpsh_err {
	int err;		/* negative errno, as returned */
	char msg[512];
};

/* Where and how files are looked up. Zero-initialise, then set. */
struct bpsh_closure_opts {
	/*
	 * Prefix for every file looked up ("" or NULL: none). Paths in the
	 * result are as the job sees them, without the prefix.
	 */
	const char *root;
	const char *ld_library_path;	/* the job's LD_LIBRARY_PATH, or NULL */
	const char *ldcache;		/* NULL: /etc/ld.so.cache */
	/* The dynamic linker's system directories; NULL: Debian x86_64's. */
	const char *const *system_dirs;
	const char *platform;		/* $PLATFORM; NULL: "x86_64" */
	const char *lib;		/* $LIB; NULL: "lib/x86_64-linux-gnu" */
};

/*
 * The set of files: each path once. bpsh_closure_free() frees what the
 * set holds, not the struct.
 */
struct bpsh_closure {
	struct bpsh_closure_opts opts;
	struct bpsh_file *files;
	size_t nfiles, cap;
	/* ld.so.cache, loaded on first use (ldcache.c) */
	struct bpsh_ldcache *cache;
	bool cache_loaded;
};

void bpsh_closure_init(struct bpsh_closure *c, const struct bpsh_closure_opts *o);
void bpsh_closure_free(struct bpsh_closure *c);

/*
 * The program @prog as execve() on the node will run it: found in @path
 * (a PATH-like list; used when @prog has no '/'), a regular file the
 * caller may execute (access(X_OK)); its real path (symlinks resolved) in
 * @resolved (PATH_MAX bytes), which is what the node should exec, so that
 * /proc/self/exe and $ORIGIN are the same there as here. The program, its
 * #! interpreters (recursively, at most 4 levels, as the kernel allows),
 * their ELF closures and every symlink on the way are added.
 *
 * Errors (@err says which file): -ENOENT not found (in PATH), -EACCES
 * not executable, -ENOEXEC neither ELF nor #!, or an ELF for another
 * machine or class, -ELOOP too many #! levels, -ENOENT a library that
 * cannot be resolved (the message names it and what needed it).
 */
int bpsh_closure_program(struct bpsh_closure *c, const char *prog,
			 const char *path, char *resolved,
			 struct bpsh_err *err);

/*
 * A path the user or the configuration ships as is: a file (with its ELF
 * closure when it is an ELF shared object or executable, so a dlopen()ed
 * plugin brings what it needs), a symlink (and what it points to), or a
 * directory with everything below it. Missing: -ENOENT (@err names it).
 */
int bpsh_closure_path(struct bpsh_closure *c, const char *path,
		      struct bpsh_err *err);

/* The file at @path in the set, or NULL. */
struct bpsh_file *bpsh_closure_find(const struct bpsh_closure *c,
				    const char *path);

/*
 * ld.so.cache (ldcache.c): the entries for library @name (a soname such
 * as "libc.so.6"), in the file's order, as paths; *@n of them. Entries
 * for other ABIs (the cache's flags) are skipped. -ENOENT when the cache
 * file does not exist (not an error for the caller: the search goes on).
 */
struct bpsh_ldcache;
int bpsh_ldcache_load(const char *file, struct bpsh_ldcache **out);
const char *const *bpsh_ldcache_lookup(const struct bpsh_ldcache *lc,
				       const char *name, size_t *n);
void bpsh_ldcache_free(struct bpsh_ldcache *lc);

/*
 * Hashes (hash.c). A regular file's SHA-256 (core's bp_crypto.h, which is
 * libcrypto's), kept in a cache
 * file keyed by device, inode, size, mtime and ctime, so that a file
 * that did not change is not read again. @file NULL: no cache file.
 */
struct bpsh_hashcache;
int bpsh_hashcache_open(const char *file, struct bpsh_hashcache **out);
/* Fill f->hash (f->hashed) from the cache or by reading @f (under @root). */
int bpsh_hash_file(struct bpsh_hashcache *hc, const char *root,
		   struct bpsh_file *f, struct bpsh_err *err);
/* Write new entries back (atomically: a temporary file renamed). */
int bpsh_hashcache_save(struct bpsh_hashcache *hc);
void bpsh_hashcache_free(struct bpsh_hashcache *hc);
/*
 * A file whose mtime or ctime is less than @ns old (default 2 s) may
 * change again within the same timestamp: its hash is not remembered.
 */
void bpsh_hashcache_set_racy(struct bpsh_hashcache *hc, int64_t ns);
/* The default cache file: $XDG_CACHE_HOME/bproc/hashes, else ~/.cache/... */
int bpsh_hashcache_default(char *buf, size_t len);

#endif /* BPSH_FILES_H */
