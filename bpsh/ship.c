// SPDX-License-Identifier: GPL-2.0
/*
 * What a job ships (docs/bpsh.md, "Shipping"): the program as the node
 * will exec it, its closure (closure.c), the dynamic linker's cache, the
 * configuration's `libraries` and the user's --ship paths, each file
 * hashed (hash.c, cached by device, inode, size and times). From these
 * comes the job's manifest and the table of objects bpsh serves to nodes
 * that lack them, by SHA-256.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "bp_config.h"
#include "bp_crypto.h"
#include "bpsh.h"

#define BPSH_DEFAULT_PATH	"/usr/local/bin:/usr/bin:/bin"

static int __attribute__((format(printf, 4, 5)))
fail(char *err, size_t len, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	return ret;
}

static int by_hash(const void *a, const void *b)
{
	const struct bpsh_object *x = a, *y = b;

	return memcmp(x->hash, y->hash, sizeof(x->hash));
}

const struct bpsh_object *bpsh_object_find(const struct bpsh *b,
					   const uint8_t hash[32])
{
	struct bpsh_object key;

	memcpy(key.hash, hash, sizeof(key.hash));
	return bsearch(&key, b->objects, b->nobjects, sizeof(*b->objects),
		       by_hash);
}

/* The configuration's `libraries`, when there is a readable configuration. */
static int ship_libraries(struct bpsh_closure *c, char *err, size_t errlen)
{
	struct bpsh_err e = { 0 };
	struct bp_cfg cfg;
	char cerr[512];
	int ret;

	if (access(BPSH_CONFIG, R_OK))
		return 0;
	if (bp_cfg_load(&cfg, BPSH_CONFIG, cerr, sizeof(cerr)))
		return 0;	/* bpmaster says what is wrong with it */
	ret = 0;
	for (size_t i = 0; i < cfg.nlibraries && !ret; i++) {
		ret = bpsh_closure_path(c, cfg.libraries[i], &e);
		if (ret == -ENOENT)
			ret = 0;	/* not installed here: nothing to ship */
		else if (ret)
			fail(err, errlen, ret, "%s: libraries %s: %s", BPSH_CONFIG,
			     cfg.libraries[i], e.msg);
	}
	bp_cfg_free(&cfg);
	return ret;
}

/* The manifest's entry of one file of the closure. */
static int entry_of(const struct bpsh_file *f, struct bp_job_entry *e,
		    char *err, size_t errlen)
{
	struct stat st;

	memset(e, 0, sizeof(*e));
	e->path = f->path;
	e->mode = f->mode & 0777;	/* no set-id bits on a node */
	switch (f->kind) {
	case BPSH_FILE_REG:
		if (stat(f->path, &st))
			return fail(err, errlen, -errno, "%s: %s", f->path,
				    strerror(errno));
		e->kind = BP_JOB_FILE;
		e->size = f->size;
		e->uid = st.st_uid;
		e->gid = st.st_gid;
		memcpy(e->hash, f->hash, sizeof(e->hash));
		break;
	case BPSH_FILE_LINK:
		e->kind = BP_JOB_LINK;
		e->mode = 0777;
		e->target = f->target;
		break;
	case BPSH_FILE_DIR:
		e->kind = BP_JOB_DIR;
		break;
	}
	return 0;
}

/* The objects nodes may ask for: the manifest and each file, by hash. */
static int objects_of(struct bpsh *b, const struct bpsh_closure *c)
{
	size_t n = 1;

	b->objects = calloc(c->nfiles + 1, sizeof(*b->objects));
	if (!b->objects)
		return -ENOMEM;
	memcpy(b->objects[0].hash, b->manifest_hash, 32);
	b->objects[0].size = b->manifest_len;
	for (size_t i = 0; i < c->nfiles; i++) {
		const struct bpsh_file *f = &c->files[i];

		if (f->kind != BPSH_FILE_REG)
			continue;
		memcpy(b->objects[n].hash, f->hash, 32);
		b->objects[n].size = f->size;
		b->objects[n].path = strdup(f->path);
		if (!b->objects[n].path)
			return -ENOMEM;
		n++;
	}
	qsort(b->objects, n, sizeof(*b->objects), by_hash);
	/* Same content at several paths: one object serves them all. */
	b->nobjects = 0;
	for (size_t i = 0; i < n; i++) {
		if (b->nobjects &&
		    !memcmp(b->objects[b->nobjects - 1].hash, b->objects[i].hash, 32)) {
			free((char *)b->objects[i].path);
			continue;
		}
		b->objects[b->nobjects++] = b->objects[i];
	}
	return 0;
}

/*
 * Everything the job needs, hashed, into b->manifest and b->objects;
 * b->path is what the nodes exec. On failure @err says why; the return
 * is -ENOENT (the program or a library is not found), -EACCES (the
 * program is not executable), -ENOEXEC, -ELOOP, or another -errno.
 */
int bpsh_ship(struct bpsh *b, char *err, size_t errlen)
{
	struct bpsh_closure_opts co = { .ld_library_path = getenv("LD_LIBRARY_PATH") };
	const char *path = getenv("PATH");
	struct bpsh_hashcache *hc = NULL;
	struct bp_manifest m;
	struct bpsh_closure c;
	struct bpsh_err e = { 0 };
	char cache[4096];
	uint64_t bytes = 0;
	int ret;

	bpsh_closure_init(&c, &co);
	bp_manifest_init(&m);
	ret = bpsh_closure_program(&c, b->o.argv[0], path ? path : BPSH_DEFAULT_PATH,
				   b->path, &e);
	if (ret) {
		/* The program or what it needs: the shell's 127 or 126. */
		b->ship_program = true;
		fail(err, errlen, ret, "%s", e.msg);
		goto out;
	}
	/* The dynamic linker's cache: how the job's ld.so finds libraries. */
	if (!access("/etc/ld.so.cache", R_OK)) {
		ret = bpsh_closure_path(&c, "/etc/ld.so.cache", &e);
		if (ret) {
			fail(err, errlen, ret, "%s", e.msg);
			goto out;
		}
	}
	ret = ship_libraries(&c, err, errlen);
	if (ret)
		goto out;
	for (int i = 0; i < b->o.nship; i++) {
		ret = bpsh_closure_path(&c, b->o.ship[i], &e);
		if (ret) {
			fail(err, errlen, ret, "--ship %s: %s", b->o.ship[i], e.msg);
			goto out;
		}
	}
	if (!bpsh_hashcache_default(cache, sizeof(cache)))
		bpsh_hashcache_open(cache, &hc);
	for (size_t i = 0; i < c.nfiles; i++) {
		struct bpsh_file *f = &c.files[i];
		struct bp_job_entry je;

		if (f->kind == BPSH_FILE_REG) {
			ret = bpsh_hash_file(hc, NULL, f, &e);
			if (ret) {
				fail(err, errlen, ret, "%s", e.msg);
				goto out;
			}
			bytes += f->size;
		}
		ret = entry_of(f, &je, err, errlen);
		if (!ret)
			ret = bp_manifest_add(&m, &je);
		if (ret == -EEXIST)
			ret = 0;
		if (ret) {
			if (ret == -EINVAL)
				fail(err, errlen, ret, "%s: cannot be shipped (a path under /proc, /sys or /dev?)",
				     f->path);
			goto out;
		}
		if (b->o.verbose)
			bp_log(&b->log, LOG_INFO, "ship %s%s%s (%llu bytes)", f->path,
			       f->kind == BPSH_FILE_LINK ? " -> " : "",
			       f->kind == BPSH_FILE_LINK ? f->target : "",
			       (unsigned long long)f->size);
	}
	if (hc) {
		bpsh_hashcache_save(hc);	/* only a cache: errors do not matter */
		bpsh_hashcache_free(hc);
		hc = NULL;
	}
	ret = bp_manifest_build(&m, &b->manifest, &b->manifest_len);
	if (!ret)
		ret = bp_sha256(b->manifest, b->manifest_len, b->manifest_hash);
	if (!ret)
		ret = objects_of(b, &c);
	if (ret) {
		fail(err, errlen, ret, "manifest: %s", strerror(-ret));
		goto out;
	}
	if (b->o.verbose)
		bp_log(&b->log, LOG_INFO, "%s: %zu files, %llu bytes, manifest %zu bytes",
		       b->path, m.n, (unsigned long long)bytes, b->manifest_len);
out:
	if (hc)
		bpsh_hashcache_free(hc);
	bp_manifest_free(&m);
	bpsh_closure_free(&c);
	return ret;
}
