/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Private interfaces between the files of the closure (closure.c,
 * program.c, search.c, fileset.c, elf.c, rootpath.c), ldcache.c and
 * hash.c (and their host tests): not part of the contract in files.h.
 * The order in which those files call each other is at the top of
 * closure.c.
 */
#ifndef BPSH_FILES_PRIV_H
#define BPSH_FILES_PRIV_H

#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>

#include "files.h"

/* Bounds for what is read from files (all hostile). */
#define BPSH_MAX_LINKS		40	/* symlinks in one resolution */
#define BPSH_MAX_SCRIPTS	4	/* #! levels */
#define BPSH_MAX_DIR_ENTRIES	100000	/* one directory walk */

#define FSPATH_MAX	(2 * PATH_MAX)	/* root + job path */

/* Fill @err (if any) with @e and a message; returns @e. */
static inline int __attribute__((format(printf, 3, 4)))
bpsh_fail(struct bpsh_err *err, int e, const char *fmt, ...)
{
	va_list ap;

	if (err) {
		err->err = e;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return e;
}

/* -------------------------------------------------------------------- */
/* Paths, and paths under the root prefix (rootpath.c)                   */

/*
 * The real path of @path (absolute, as the job sees it) under @root ("" or
 * NULL: none): every symbolic link resolved component by component inside
 * @root (an absolute link target starts again at @root, ".." stops at
 * it), at most BPSH_MAX_LINKS links (-ELOOP beyond). Into @out (@len
 * bytes), without the root prefix. -errno of lstat/readlink otherwise
 * (-ENOENT, -ENOTDIR, ...).
 */
int bpsh_root_realpath(const char *root, const char *path, char *out,
		       size_t len);
int bpsh_path_norm(const char *base, const char *in, char *out);
int bpsh_path_norm_n(const char *base, const char *in, size_t n,
		     char *out);
const char *bpsh_path_split(const char *path, char *dir);
int bpsh_fspath(const char *root, const char *path, char *out);
int bpsh_root_stat(const char *root, const char *path, struct stat *st,
		   bool follow);
int bpsh_root_open(const char *root, const char *path, int flags);

/* -------------------------------------------------------------------- */
/* ELF files (elf.c)                                                     */

/* bpsh_elf_ident(), when not a negative errno */
enum { ELF_NATIVE, ELF_OTHER };

/* An ELF file's dynamic linking facts. */
struct elfinfo {
	int cls, mach;
	unsigned int type;
	char *interp;
	char *rpath, *runpath, *soname;
	char **needed;
	size_t nneeded;
	bool nodeflib;
};

int bpsh_elf_ident(int fd, int *cls, int *mach, unsigned int *type);
int bpsh_elf_parse(int fd, const char *name, struct elfinfo *ei,
		   struct bpsh_err *err);
void bpsh_elfinfo_free(struct elfinfo *ei);

/* -------------------------------------------------------------------- */
/* One call of bpsh_closure_program() or bpsh_closure_path()             */

struct obj;	/* a loaded ELF object (search.c) */

struct walk {
	struct bpsh_closure *c;
	struct bpsh_err *err;
	const char *root;
	char cwd[PATH_MAX];
	const char *path;	/* PATH, for #!/usr/bin/env NAME */
	/* path -> index + 1 into c->files (open addressing; fileset.c) */
	size_t *idx;
	size_t idxcap;
	/* the ELF objects, in load (breadth-first) order (search.c) */
	struct obj *objs;
	size_t nobjs, objcap;
	long main;		/* the executable (or shared object) */
	int cls, mach;
	const char *lib, *platform;
	const char *const *sysdirs;
	size_t dirents;		/* entries added by directory walks */
};

static inline int wrealpath(const struct walk *w, const char *path,
			    char *out)
{
	return bpsh_root_realpath(w->root, path, out, PATH_MAX);
}

static inline int wstat(const struct walk *w, const char *path,
			struct stat *st, bool follow)
{
	return bpsh_root_stat(w->root, path, st, follow);
}

static inline int wopen(const struct walk *w, const char *path, int flags)
{
	return bpsh_root_open(w->root, path, flags);
}

/* -------------------------------------------------------------------- */
/* The set of files (fileset.c)                                          */

int bpsh_index_grow(struct walk *w, size_t need);
int bpsh_add_chain(struct walk *w, const char *path);
int bpsh_add_dir(struct walk *w, const char *as, const char *real,
		 const struct stat *dst);

/* -------------------------------------------------------------------- */
/* The dynamic linker (search.c)                                         */

int bpsh_elf_closure(struct walk *w, const char *p, const char *real,
		     bool program);
void bpsh_objs_free(struct walk *w);

/* -------------------------------------------------------------------- */
/* Programs (program.c)                                                  */

int bpsh_find_program(struct walk *w, const char *prog, const char *path,
		      char *out);
int bpsh_add_program(struct walk *w, const char *p, int level,
		     char *real_out, const char *of);

/* -------------------------------------------------------------------- */
/* ld.so.cache (ldcache.c)                                               */

/*
 * bpsh_ldcache_lookup() for the ABI of ELF class @elfclass (ELFCLASS64:
 * x86_64, flags 0x0303; ELFCLASS32: i386, flags 0x0003). NULL (*@n 0)
 * when nothing matches or @lc is NULL. The array lives as long as @lc.
 */
const char *const *bpsh_ldcache_lookup_class(const struct bpsh_ldcache *lc,
					     const char *name, int elfclass,
					     size_t *n);

#endif /* BPSH_FILES_PRIV_H */
