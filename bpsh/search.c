// SPDX-License-Identifier: GPL-2.0
/*
 * The dynamic linker (files_priv.h): what glibc's ld.so loads for an ELF
 * executable or shared object, as a list of loaded objects (its link_map):
 * the PT_INTERP, then each DT_NEEDED breadth first, searched in ld.so's
 * order: DT_RPATH up the loader chain (unless DT_RUNPATH), LD_LIBRARY_PATH,
 * DT_RUNPATH, ld.so.cache, the system directories (not with
 * DF_1_NODEFLIB), each directory with its glibc-hwcaps subdirectories
 * first; $ORIGIN, $LIB and $PLATFORM expanded. Every candidate found in
 * the directory that has the library goes into the set with its symlinks
 * (fileset.c), the glibc-hwcaps variants too: ld.so on a node may take
 * another one than here.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_priv.h"

#define SEARCHED_MAX	320		/* "searched ..." in a message */

static const char *const sysdirs64[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib",
	"/usr/lib", NULL
};
static const char *const sysdirs32[] = {
	"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu", "/lib", "/usr/lib",
	NULL
};
/* Searched before each directory, in priority order (x86_64 only). */
static const char *const hwcaps64[] = {
	"glibc-hwcaps/x86-64-v4/", "glibc-hwcaps/x86-64-v3/",
	"glibc-hwcaps/x86-64-v2/", ""
};
static const char *const hwcaps32[] = { "" };

/* A loaded object: what ld.so would have as a link_map. */
struct obj {
	char *path;		/* where it was found (l_name) */
	char *origin;		/* $ORIGIN */
	char **names;		/* names it was loaded as, its soname */
	size_t nnames;
	struct elfinfo ei;
	long loader;		/* index of the object that loaded it, or -1 */
	dev_t dev;
	ino_t ino;
};

/* State of the search for one DT_NEEDED name. */
struct search {
	const char *name;
	long loader;
	bool found;		/* the object to follow is loaded */
	bool base;		/* ... and the base (non-hwcaps) one */
	unsigned int skipped;	/* of another ELF class or machine */
	char searched[SEARCHED_MAX];
};

/* -------------------------------------------------------------------- */
/* Loaded objects                                                        */

static int obj_add_name(struct obj *o, const char *name)
{
	char **n;
	size_t i;

	for (i = 0; i < o->nnames; i++)
		if (!strcmp(o->names[i], name))
			return 0;
	n = reallocarray(o->names, o->nnames + 1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	o->names = n;
	n[o->nnames] = strdup(name);
	if (!n[o->nnames])
		return -ENOMEM;
	o->nnames++;
	return 0;
}

/* The loaded object that ld.so would take for @name, or -1. */
static long obj_match(const struct walk *w, const char *name)
{
	size_t i, k;

	for (i = 0; i < w->nobjs; i++) {
		const struct obj *o = &w->objs[i];

		if (!strcmp(o->path, name))
			return i;
		for (k = 0; k < o->nnames; k++)
			if (!strcmp(o->names[k], name))
				return i;
	}
	return -1;
}

/*
 * Load an object (*@ei is taken) found at @path; the same file already
 * loaded is only given the new @name.
 */
static int obj_add(struct walk *w, const char *path, const char *origin,
		   struct elfinfo *ei, long loader, const struct stat *st,
		   const char *name)
{
	struct obj *o;
	size_t i;
	int r;

	for (i = 0; i < w->nobjs; i++) {
		if (w->objs[i].dev == st->st_dev &&
		    w->objs[i].ino == st->st_ino) {
			bpsh_elfinfo_free(ei);
			return name ? obj_add_name(&w->objs[i], name) : 0;
		}
	}
	if (w->nobjs == w->objcap) {
		size_t cap = w->objcap ? 2 * w->objcap : 16;

		o = reallocarray(w->objs, cap, sizeof(*o));
		if (!o) {
			bpsh_elfinfo_free(ei);
			return -ENOMEM;
		}
		w->objs = o;
		w->objcap = cap;
	}
	o = &w->objs[w->nobjs++];
	memset(o, 0, sizeof(*o));
	o->ei = *ei;
	memset(ei, 0, sizeof(*ei));
	o->loader = loader;
	o->dev = st->st_dev;
	o->ino = st->st_ino;
	o->path = strdup(path);
	o->origin = strdup(origin);
	if (!o->path || !o->origin)
		return -ENOMEM;
	if (name && (r = obj_add_name(o, name)))
		return r;
	if (o->ei.soname && (r = obj_add_name(o, o->ei.soname)))
		return r;
	return 0;
}

/* The loaded objects of @w: freed. */
void bpsh_objs_free(struct walk *w)
{
	size_t i, k;

	for (i = 0; i < w->nobjs; i++) {
		struct obj *o = &w->objs[i];

		free(o->path);
		free(o->origin);
		for (k = 0; k < o->nnames; k++)
			free(o->names[k]);
		free(o->names);
		bpsh_elfinfo_free(&o->ei);
	}
	free(w->objs);
	w->objs = NULL;
	w->nobjs = w->objcap = 0;
}

/* -------------------------------------------------------------------- */
/* The search                                                            */

/* "NAME" (then the end or '/') or "{NAME}" at @s (@n bytes). */
static bool dst_is(const char *s, size_t n, const char *name, size_t *len)
{
	size_t l = strlen(name);

	if (n >= l + 2 && s[0] == '{' && !memcmp(s + 1, name, l) &&
	    s[l + 1] == '}') {
		*len = l + 2;
		return true;
	}
	if (n >= l && !memcmp(s, name, l) && (n == l || s[l] == '/')) {
		*len = l;
		return true;
	}
	return false;
}

/* @n bytes of @in with $ORIGIN, $LIB, $PLATFORM expanded, into @out. */
static int expand_dst(const struct walk *w, const char *in, size_t n,
		      const char *origin, char *out)
{
	size_t o = 0, i = 0;

	while (i < n) {
		const char *rep = NULL;
		size_t skip = 0, rl;

		if (in[i] == '$') {
			const char *s = in + i + 1;
			size_t left = n - i - 1;

			if (dst_is(s, left, "ORIGIN", &skip))
				rep = origin;
			else if (dst_is(s, left, "LIB", &skip))
				rep = w->lib;
			else if (dst_is(s, left, "PLATFORM", &skip))
				rep = w->platform;
		}
		if (!rep) {
			if (o + 1 >= PATH_MAX)
				return -ENAMETOOLONG;
			out[o++] = in[i++];
			continue;
		}
		rl = strlen(rep);
		if (o + rl >= PATH_MAX)
			return -ENAMETOOLONG;
		memcpy(out + o, rep, rl);
		o += rl;
		i += 1 + skip;
	}
	out[o] = '\0';
	return 0;
}

static void searched_add(struct search *s, const char *what)
{
	size_t len = strlen(s->searched), wl = strlen(what);

	if (len + wl + 8 >= sizeof(s->searched)) {
		if (len + 5 < sizeof(s->searched) &&
		    (len < 3 || strcmp(s->searched + len - 3, "...")))
			strcpy(s->searched + len, len ? ", ..." : "...");
		return;
	}
	if (len)
		strcpy(s->searched + len, ", "), len += 2;
	memcpy(s->searched + len, what, wl + 1);
}

struct cand {
	char p[PATH_MAX], real[PATH_MAX];
	struct stat st;
	struct elfinfo ei;
};

/*
 * Try @path for the object being searched: 1 an ELF file of the closure's
 * class (in @cd), 0 nothing usable there, -errno fatal (a corrupt file).
 */
static int try_cand(struct walk *w, struct search *s, const char *path,
		    struct cand *cd)
{
	unsigned int type;
	int cls, mach, fd, r;

	memset(&cd->ei, 0, sizeof(cd->ei));
	if (bpsh_path_norm(w->cwd, path, cd->p) ||
	    wrealpath(w, cd->p, cd->real) ||
	    wstat(w, cd->real, &cd->st, true) || !S_ISREG(cd->st.st_mode))
		return 0;
	fd = wopen(w, cd->real, O_RDONLY);
	if (fd < 0)
		return 0;
	r = bpsh_elf_ident(fd, &cls, &mach, &type);
	if (r == ELF_OTHER || (r == ELF_NATIVE &&
			       (cls != w->cls || mach != w->mach))) {
		s->skipped++;
		r = 0;
		goto out;
	}
	if (r < 0) {
		r = bpsh_fail(w->err, -ENOEXEC,
			      "%s (needed by %s): %s: not an ELF file", s->name,
			      w->objs[s->loader].path, cd->p);
		goto out;
	}
	cd->ei.cls = cls;
	cd->ei.mach = mach;
	r = bpsh_elf_parse(fd, cd->p, &cd->ei, w->err);
	if (!r && cd->ei.type != ET_DYN) {
		bpsh_elfinfo_free(&cd->ei);
		r = bpsh_fail(w->err, -ENOEXEC,
			      "%s (needed by %s): %s: not a shared object",
			      s->name, w->objs[s->loader].path, cd->p);
	}
	if (!r)
		r = 1;
out:
	close(fd);
	return r;
}

/*
 * A candidate was found: add it (with its symlinks); load it when it is
 * the first found (the one ld.so here takes) or the first base one.
 */
static int found(struct walk *w, struct search *s, struct cand *cd,
		 bool base)
{
	char dir[PATH_MAX];
	int r = bpsh_add_chain(w, cd->p);

	if (r) {
		bpsh_elfinfo_free(&cd->ei);
		return bpsh_fail(w->err, r, "%s (needed by %s): %s: %s",
				 s->name, w->objs[s->loader].path, cd->p,
				 strerror(-r));
	}
	if (s->found && (!base || s->base)) {
		bpsh_elfinfo_free(&cd->ei);
		return 0;
	}
	bpsh_path_split(cd->p, dir);
	r = obj_add(w, cd->p, dir, &cd->ei, s->loader, &cd->st,
		    s->found ? NULL : s->name);
	s->found = true;
	if (base)
		s->base = true;
	return r;
}

/* @name in directory @dir (as given, normalised here) and its hwcaps. */
static int search_dir(struct walk *w, struct search *s, const char *dir)
{
	const char *const *hw = w->cls == ELFCLASS64 ? hwcaps64 : hwcaps32;
	size_t nhw = w->cls == ELFCLASS64 ? 4 : 1, i;
	char d[PATH_MAX], file[PATH_MAX + 64];
	struct cand *cd;
	int r = 0;

	if (bpsh_path_norm(w->cwd, dir, d))
		return 0;
	cd = malloc(sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	for (i = 0; i < nhw; i++) {
		if ((size_t)snprintf(file, sizeof(file), "%s/%s%s", d, hw[i],
				     s->name) >= PATH_MAX)
			continue;
		r = try_cand(w, s, file, cd);
		if (r < 0)
			break;
		if (r > 0 && (r = found(w, s, cd, !hw[i][0])) < 0)
			break;
		r = 0;
	}
	free(cd);
	return r;
}

/*
 * The directories of the search list @list (separated by one of @seps;
 * DSTs expanded with @origin); *@hit once one had the object.
 */
static int search_list(struct walk *w, struct search *s, const char *what,
		       const char *list, const char *seps, const char *origin)
{
	char dir[PATH_MAX], msg[SEARCHED_MAX];
	const char *p = list;
	int r;

	if (what) {
		snprintf(msg, sizeof(msg), "%s %s", what, list);
		searched_add(s, msg);
	}
	for (;;) {
		size_t n = strcspn(p, seps);

		if (!expand_dst(w, p, n, origin, dir)) {
			r = search_dir(w, s, dir[0] ? dir : ".");
			if (r < 0)
				return r;
			if (s->found)
				return 0;
		}
		if (!p[n])
			return 0;
		p += n + 1;
	}
}

static bool is_sysdir(const struct walk *w, const char *dir)
{
	size_t i;

	for (i = 0; w->sysdirs[i]; i++) {
		char d[PATH_MAX];

		if (!bpsh_path_norm(w->cwd, w->sysdirs[i], d) &&
		    !strcmp(d, dir))
			return true;
	}
	return false;
}

/*
 * The priority of a cache entry: its glibc-hwcaps subdirectory (0 to 2),
 * 3 any other of them, 4 the base directory.
 */
static size_t hwcaps_prio(const struct walk *w, const char *path)
{
	size_t i;

	if (w->cls == ELFCLASS64)
		for (i = 0; i < 3; i++)
			if (strstr(path, hwcaps64[i]))
				return i;
	return strstr(path, "/glibc-hwcaps/") ? 3 : 4;
}

static void cache_load(struct walk *w)
{
	struct bpsh_closure *c = w->c;
	char p[PATH_MAX], fs[FSPATH_MAX];

	if (c->cache_loaded)
		return;
	c->cache_loaded = true;
	if (bpsh_path_norm(w->cwd, c->opts.ldcache ? c->opts.ldcache :
			   "/etc/ld.so.cache", p) ||
	    bpsh_fspath(w->root, p, fs))
		return;
	/* Absent or corrupt: searched without it, as ld.so does. */
	if (bpsh_ldcache_load(fs, &c->cache))
		c->cache = NULL;
}

static int search_cache(struct walk *w, struct search *s, bool nodeflib)
{
	const char *const *v;
	struct cand *cd;
	size_t n, prio, i;
	int r = 0;

	cache_load(w);
	if (!w->c->cache)
		return 0;
	searched_add(s, "ld.so.cache");
	v = bpsh_ldcache_lookup_class(w->c->cache, s->name, w->cls, &n);
	if (!n)
		return 0;
	cd = malloc(sizeof(*cd));
	if (!cd)
		return -ENOMEM;
	for (prio = 0; prio <= 4 && r >= 0; prio++) {
		for (i = 0; i < n; i++) {
			char dir[PATH_MAX];

			if (hwcaps_prio(w, v[i]) != prio)
				continue;
			if (nodeflib && !bpsh_path_norm(w->cwd, v[i], dir)) {
				bpsh_path_split(dir, dir);
				if (is_sysdir(w, dir))
					continue;
			}
			r = try_cand(w, s, v[i], cd);
			if (r < 0)
				break;
			if (r > 0 && (r = found(w, s, cd, prio == 4)) < 0)
				break;
		}
	}
	free(cd);
	return r < 0 ? r : 0;
}

/* DT_NEEDED @name of object @li. */
static int need(struct walk *w, long li, const char *name)
{
	const struct obj *l = &w->objs[li];
	char xname[PATH_MAX];
	struct search *s;
	bool did_main = false;
	long k;
	int r = 0;
	size_t i;

	if (obj_match(w, name) >= 0)
		return 0;
	if (strlen(name) >= PATH_MAX)
		return bpsh_fail(w->err, -ENAMETOOLONG,
				 "a DT_NEEDED of %s is too long", l->path);
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->name = name;
	s->loader = li;
	if (strchr(name, '$')) {
		r = expand_dst(w, name, strlen(name), l->origin, xname);
		if (r) {
			r = bpsh_fail(w->err, r, "%s (needed by %s): %s", name,
				      l->path, strerror(-r));
			goto out;
		}
		if (strchr(xname, '/') && obj_match(w, xname) >= 0)
			goto out;
	} else {
		strcpy(xname, name);
	}
	if (strchr(xname, '/')) {
		struct cand *cd = malloc(sizeof(*cd));

		if (!cd) {
			r = -ENOMEM;
			goto out;
		}
		r = try_cand(w, s, xname, cd);
		if (r > 0)
			r = found(w, s, cd, true);
		free(cd);
		if (!r && !s->found)
			r = bpsh_fail(w->err, -ENOENT,
				      "%s (needed by %s): not found%s", name,
				      l->path, s->skipped ?
				      " (of another ELF class or machine)" : "");
		goto out;
	}
	/* DT_RPATH, unless DT_RUNPATH: the loader chain, then the program. */
	if (!l->ei.runpath) {
		for (k = li; k >= 0; k = w->objs[k].loader) {
			const struct obj *o = &w->objs[k];

			if (k == w->main)
				did_main = true;
			if (!o->ei.rpath || o->ei.runpath)
				continue;
			r = search_list(w, s, k == li ? "RPATH" :
					"RPATH (inherited)", o->ei.rpath, ":",
					o->origin);
			if (r || s->found)
				goto out;
		}
		l = &w->objs[w->main];
		if (!did_main && l->ei.rpath && !l->ei.runpath) {
			r = search_list(w, s, "RPATH (of the program)",
					l->ei.rpath, ":", l->origin);
			if (r || s->found)
				goto out;
		}
	}
	l = &w->objs[li];
	if (w->c->opts.ld_library_path && w->c->opts.ld_library_path[0]) {
		searched_add(s, "LD_LIBRARY_PATH");
		r = search_list(w, s, NULL, w->c->opts.ld_library_path, ":;",
				w->objs[w->main].origin);
		if (r || s->found)
			goto out;
	}
	if (l->ei.runpath) {
		r = search_list(w, s, "RUNPATH", l->ei.runpath, ":",
				l->origin);
		if (r || s->found)
			goto out;
	}
	r = search_cache(w, s, l->ei.nodeflib);
	if (r || s->found)
		goto out;
	if (!l->ei.nodeflib) {
		for (i = 0; w->sysdirs[i]; i++) {
			searched_add(s, w->sysdirs[i]);
			r = search_dir(w, s, w->sysdirs[i]);
			if (r || s->found)
				goto out;
		}
	}
	r = bpsh_fail(w->err, -ENOENT,
		      "%s (needed by %s): not found (searched %s)%s", name,
		      l->path, s->searched[0] ? s->searched : "nothing",
		      s->skipped ?
		      "; skipped files of another ELF class or machine" : "");
out:
	free(s);
	return r;
}

/* -------------------------------------------------------------------- */
/* The closure                                                           */

/*
 * The ELF file at @p (as referenced; real path @real) and its closure: its
 * PT_INTERP and DT_NEEDED, transitively. @program: it is the executable
 * ($ORIGIN is the directory of its real path).
 */
int bpsh_elf_closure(struct walk *w, const char *p, const char *real,
		     bool program)
{
	char dir[PATH_MAX], ip[PATH_MAX], ireal[PATH_MAX];
	struct elfinfo ei = { 0 };
	unsigned int type;
	int cls, mach, fd, r;
	struct stat st;
	size_t i, k;

	fd = wopen(w, real, O_RDONLY);
	if (fd < 0)
		return bpsh_fail(w->err, fd, "%s: %s", p, strerror(-fd));
	r = bpsh_elf_ident(fd, &cls, &mach, &type);
	if (r < 0 || r == ELF_OTHER) {
		close(fd);
		if (r == ELF_OTHER)
			return bpsh_fail(w->err, -ENOEXEC,
					 "%s: ELF file for another machine or class",
					 p);
		return bpsh_fail(w->err, -ENOEXEC, "%s: not an ELF file", p);
	}
	ei.cls = cls;
	ei.mach = mach;
	r = bpsh_elf_parse(fd, p, &ei, w->err);
	if (!r && fstat(fd, &st))
		r = bpsh_fail(w->err, -errno, "%s: %s", p, strerror(errno));
	close(fd);
	if (r)
		return r;
	if (ei.type != ET_EXEC && ei.type != ET_DYN) {
		bpsh_elfinfo_free(&ei);
		return bpsh_fail(w->err, -ENOEXEC,
				 "%s: not an executable or shared object", p);
	}
	w->cls = cls;
	w->mach = mach;
	w->lib = w->c->opts.lib ? w->c->opts.lib :
		 cls == ELFCLASS64 ? "lib/x86_64-linux-gnu" :
		 "lib/i386-linux-gnu";
	w->platform = w->c->opts.platform ? w->c->opts.platform :
		      cls == ELFCLASS64 ? "x86_64" : "i686";
	w->sysdirs = w->c->opts.system_dirs ? w->c->opts.system_dirs :
		     cls == ELFCLASS64 ? sysdirs64 : sysdirs32;
	bpsh_path_split(program ? real : p, dir);
	w->main = w->nobjs;
	r = obj_add(w, p, dir, &ei, -1, &st, NULL);
	if (r)
		return r;
	if (w->objs[w->main].ei.interp) {
		struct elfinfo ie = { 0 };

		r = bpsh_path_norm(w->cwd, w->objs[w->main].ei.interp, ip);
		if (!r)
			r = wrealpath(w, ip, ireal);
		if (r)
			return bpsh_fail(w->err, r,
					 "%s (interpreter of %s): %s",
					 w->objs[w->main].ei.interp, p,
					 strerror(-r));
		r = bpsh_add_chain(w, ip);
		if (r)
			return bpsh_fail(w->err, r,
					 "%s (interpreter of %s): %s", ip, p,
					 strerror(-r));
		fd = wopen(w, ireal, O_RDONLY);
		if (fd < 0)
			return bpsh_fail(w->err, fd,
					 "%s (interpreter of %s): %s", ip, p,
					 strerror(-fd));
		r = bpsh_elf_ident(fd, &cls, &mach, &type);
		if (r != ELF_NATIVE || cls != w->cls || mach != w->mach) {
			close(fd);
			return bpsh_fail(w->err, -ENOEXEC,
					 "%s (interpreter of %s): %s", ip, p,
					 r < 0 ? "not an ELF file" :
					 "ELF file for another machine or class");
		}
		ie.cls = cls;
		ie.mach = mach;
		r = bpsh_elf_parse(fd, ip, &ie, w->err);
		if (!r && fstat(fd, &st))
			r = -errno;
		close(fd);
		if (r)
			return r;
		bpsh_path_split(ip, dir);
		r = obj_add(w, ip, dir, &ie, -1, &st, NULL);
		if (r)
			return r;
	}
	/* Breadth first, as ld.so loads them. */
	for (i = w->main; i < w->nobjs; i++) {
		for (k = 0; k < w->objs[i].ei.nneeded; k++) {
			r = need(w, i, w->objs[i].ei.needed[k]);
			if (r)
				return r;
		}
	}
	return 0;
}

