// SPDX-License-Identifier: GPL-2.0
/*
 * The closure of a program (files.h): what execve() and the dynamic linker
 * on a node will open to run it. The program is found as execvp() finds
 * it, #! interpreters are followed as the kernel does, and the ELF files
 * (read with libelf, every offset checked against the file) bring their
 * PT_INTERP and DT_NEEDED libraries, searched in glibc ld.so's order:
 * DT_RPATH up the loader chain (unless DT_RUNPATH), LD_LIBRARY_PATH,
 * DT_RUNPATH, ld.so.cache, the system directories, each directory with
 * its glibc-hwcaps subdirectories first.
 *
 * Everything is read under opts.root, with symbolic links resolved by
 * hand inside it. Symlinks to files become LINK entries; symlinked
 * directories never do (the node's /lib and /bin are real directories on
 * a merged-/usr master): a file reached through one is added at the path
 * as referenced and at its real path.
 *
 * This file holds the set's lifetime and the public entry points; the
 * rest is in files that call only files below them (files_priv.h):
 *
 *   closure.c   the entry points: bpsh_closure_*(), one walk per call
 *   program.c   the program: execvp()'s PATH search, #! interpreters
 *   search.c    the dynamic linker: loaded objects, the search order,
 *               $ORIGIN/$LIB/$PLATFORM, glibc-hwcaps, the ELF closure
 *   fileset.c   the set of files: the index, symlink chains, directories
 *   elf.c       ELF files read with libelf (PT_INTERP, DT_NEEDED, ...)
 *   rootpath.c  paths: normalised, under the root prefix, real paths
 *
 * Each calls only files further down the list (closure.c and search.c
 * also ldcache.c); elf.c and rootpath.c call none. hash.c uses
 * rootpath.c.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"

static int walk_init(struct walk *w, struct bpsh_closure *c,
		     struct bpsh_err *err)
{
	size_t rl;

	memset(w, 0, sizeof(*w));
	w->c = c;
	w->err = err;
	w->root = c->opts.root ? c->opts.root : "";
	if (err) {
		err->err = 0;
		err->msg[0] = '\0';
	}
	if (!getcwd(w->cwd, sizeof(w->cwd)))
		strcpy(w->cwd, "/");
	/* The job's current directory: the same, inside the root. */
	rl = strlen(w->root);
	while (rl && w->root[rl - 1] == '/')
		rl--;
	if (rl && !strncmp(w->cwd, w->root, rl) &&
	    (w->cwd[rl] == '/' || !w->cwd[rl]))
		memmove(w->cwd, w->cwd + rl, strlen(w->cwd + rl) + 1);
	if (!w->cwd[0])
		strcpy(w->cwd, "/");
	return bpsh_index_grow(w, c->nfiles + 1);
}

static void walk_fini(struct walk *w)
{
	bpsh_objs_free(w);
	free(w->idx);
	w->idx = NULL;
}

void bpsh_closure_init(struct bpsh_closure *c,
		       const struct bpsh_closure_opts *o)
{
	memset(c, 0, sizeof(*c));
	if (o)
		c->opts = *o;
}

void bpsh_closure_free(struct bpsh_closure *c)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++) {
		free(c->files[i].path);
		free(c->files[i].target);
	}
	free(c->files);
	c->files = NULL;
	c->nfiles = c->cap = 0;
	bpsh_ldcache_free(c->cache);
	c->cache = NULL;
	c->cache_loaded = false;
}

struct bpsh_file *bpsh_closure_find(const struct bpsh_closure *c,
				    const char *path)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		if (!strcmp(c->files[i].path, path))
			return &c->files[i];
	return NULL;
}

int bpsh_closure_program(struct bpsh_closure *c, const char *prog,
			 const char *path, char *resolved,
			 struct bpsh_err *err)
{
	char p[PATH_MAX], real[PATH_MAX];
	struct walk w;
	int r;

	r = walk_init(&w, c, err);
	w.path = path;
	if (!r)
		r = bpsh_find_program(&w, prog, path, p);
	if (!r)
		r = bpsh_add_program(&w, p, 0, real, NULL);
	if (!r && resolved)
		strcpy(resolved, real);
	walk_fini(&w);
	if (r && err && !err->msg[0])
		bpsh_fail(err, r, "%s: %s", prog, strerror(-r));
	return r;
}

int bpsh_closure_path(struct bpsh_closure *c, const char *path,
		      struct bpsh_err *err)
{
	char p[PATH_MAX], real[PATH_MAX];
	unsigned int type;
	int cls, mach, fd, r;
	struct stat st;
	struct walk w;

	r = walk_init(&w, c, err);
	if (r)
		goto out;
	r = bpsh_path_norm(w.cwd, path, p);
	if (!r)
		r = wrealpath(&w, p, real);
	if (!r)
		r = wstat(&w, real, &st, true);
	if (r) {
		r = bpsh_fail(err, r == -ENOTDIR ? -ENOENT : r, "%s: %s", path,
			      r == -ENOENT || r == -ENOTDIR ? "not found" :
			      strerror(-r));
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		/* A symlinked directory: at both paths, never a link. */
		r = bpsh_add_dir(&w, p, real, &st);
		if (!r && strcmp(p, real))
			r = bpsh_add_dir(&w, real, real, &st);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		r = bpsh_fail(err, -EINVAL,
			      "%s: not a regular file, directory or symlink",
			      path);
		goto out;
	}
	r = bpsh_add_chain(&w, p);
	if (r) {
		r = bpsh_fail(err, r, "%s: %s", path, strerror(-r));
		goto out;
	}
	fd = wopen(&w, real, O_RDONLY);
	if (fd < 0) {
		r = bpsh_fail(err, fd, "%s: %s", path, strerror(-fd));
		goto out;
	}
	r = bpsh_elf_ident(fd, &cls, &mach, &type);
	close(fd);
	/* Data, or an ELF file of no use here (object, core, other ABI). */
	if (r == -ENOEXEC || r == ELF_OTHER ||
	    (r == ELF_NATIVE && type != ET_EXEC && type != ET_DYN)) {
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = bpsh_fail(err, r, "%s: %s", path, strerror(-r));
		goto out;
	}
	r = bpsh_elf_closure(&w, p, real, false);
out:
	walk_fini(&w);
	if (r && err && !err->msg[0])
		bpsh_fail(err, r, "%s: %s", path, strerror(-r));
	return r;
}
