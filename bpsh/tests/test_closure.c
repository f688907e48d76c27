// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the closure (closure.c, TAP). Fixtures are built at
 * run time in a temporary directory used as the root: tiny programs and
 * shared libraries compiled with cc -nostdlib (never run), in a merged-/usr
 * tree (/lib -> usr/lib, /bin -> usr/bin, /lib64 -> usr/lib64) with a
 * stand-in dynamic linker, scripts, symlinks, glibc-hwcaps variants, an
 * ld.so.cache written here, files of the wrong ELF class and corrupt
 * ones. Last, the real /bin/sh and python3 (or ls) against ldd(1).
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"
#include "bproc-test/tap.h"
#include "ldcache_gen.h"

struct fx {
	char tmp[256];		/* everything */
	char root[300];		/* the root of the fixture tree */
	char build[300];	/* sources, objects and the compiler's log */
	bool m32;		/* cc -m32 works here */
	bool ok;		/* the fixtures were built */
};

static const char *const sysdirs[] = { "/lib32x", "/lib", NULL };

/* ---------------------------------------------------------------- */
/* Building fixtures                                                 */

static int __attribute__((format(printf, 1, 2))) run(const char *fmt, ...)
{
	char cmd[8192];
	va_list ap;
	int st;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	st = system(cmd);
	if (st == -1 || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void path_in(const struct fx *f, const char *rel, char *out)
{
	snprintf(out, PATH_MAX, "%s%s", f->root, rel);
}

static int put(const struct fx *f, const char *rel, const char *content,
	       mode_t mode)
{
	char p[PATH_MAX];
	FILE *fp;

	path_in(f, rel, p);
	if (run("mkdir -p \"$(dirname '%s')\"", p))
		return -1;
	fp = fopen(p, "w");
	if (!fp)
		return -1;
	fputs(content, fp);
	if (fclose(fp) || chmod(p, mode))
		return -1;
	return 0;
}

static int lnk(const struct fx *f, const char *rel, const char *target)
{
	char p[PATH_MAX];

	path_in(f, rel, p);
	if (run("mkdir -p \"$(dirname '%s')\"", p))
		return -1;
	return symlink(target, p);
}

/*
 * A shared library at @rel in the root, with soname @soname, needing what
 * @fmt (cc arguments, '%R' is not special: pass the root yourself) says.
 */
static int __attribute__((format(printf, 4, 5)))
lib(const struct fx *f, const char *rel, const char *soname,
    const char *fmt, ...)
{
	char p[PATH_MAX], extra[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	path_in(f, rel, p);
	return run("mkdir -p \"$(dirname '%s')\" && cc -shared -fPIC -nostdlib "
		   "-o '%s' '%s/lib.c' -Wl,-soname,%s -Wl,--no-as-needed %s "
		   ">>'%s/cc.log' 2>&1", p, p, f->build, soname, extra,
		   f->build);
}

/* A program at @rel in the root (its _start never runs). */
static int __attribute__((format(printf, 3, 4)))
prog(const struct fx *f, const char *rel, const char *fmt, ...)
{
	char p[PATH_MAX], extra[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(extra, sizeof(extra), fmt, ap);
	va_end(ap);
	path_in(f, rel, p);
	return run("mkdir -p \"$(dirname '%s')\" && cc -fPIC -nostdlib "
		   "-o '%s' '%s/prog.c' -Wl,--no-as-needed %s "
		   "-Wl,--allow-shlib-undefined >>'%s/cc.log' 2>&1", p, p,
		   f->build, extra, f->build);
}

/* A 32-bit ELF header alone, when cc -m32 cannot link here. */
static int fake32(const struct fx *f, const char *rel)
{
	Elf32_Ehdr h = { 0 };
	char p[PATH_MAX];
	FILE *fp;

	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS32;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_type = ET_DYN;
	h.e_machine = EM_386;
	h.e_version = EV_CURRENT;
	h.e_ehsize = sizeof(h);
	path_in(f, rel, p);
	fp = fopen(p, "wb");
	if (!fp)
		return -1;
	fwrite(&h, sizeof(h), 1, fp);
	return fclose(fp);
}

static int copy_trunc(const struct fx *f, const char *from, const char *to,
		      long len)
{
	char a[PATH_MAX], b[PATH_MAX];

	path_in(f, from, a);
	path_in(f, to, b);
	return run("mkdir -p \"$(dirname '%s')\" && head -c %ld '%s' > '%s' && "
		   "chmod 755 '%s'", b, len, a, b, b);
}

static int write_cache(const struct fx *f, const char *rel,
		       const struct lcg_ent *e, size_t n)
{
	char p[PATH_MAX], *buf;
	size_t len;
	int r;

	path_in(f, rel, p);
	buf = lcg_build(e, n, LCG_NEW, &len);
	if (!buf)
		return -1;
	r = lcg_write(p, buf, len);
	free(buf);
	return r;
}

static int build(struct fx *f)
{
	const char *R = f->root, *B = f->build;
	int e = 0;

	snprintf(f->root, sizeof(f->root), "%s/root", f->tmp);
	snprintf(f->build, sizeof(f->build), "%s/build", f->tmp);
	if (run("mkdir -p '%s' '%s/usr/bin' '%s/usr/lib/x86_64-linux-gnu' "
		"'%s/usr/lib64' '%s/etc' '%s/lib32x'", B, R, R, R, R, R))
		return -1;
	run("printf 'void bpsh_fixture(void) { }\\n' > '%s/lib.c'", B);
	run("printf 'void _start(void) { for (;;) ; }\\n' > '%s/prog.c'", B);
	/* Debian 12's merged /usr. */
	e |= lnk(f, "/lib", "usr/lib");
	e |= lnk(f, "/bin", "usr/bin");
	e |= lnk(f, "/lib64", "usr/lib64");
	e |= lib(f, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		 "ld-linux-x86-64.so.2", " ");
	e |= lnk(f, "/usr/lib64/ld-linux-x86-64.so.2",
		 "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");

	/* prog1 -> libb.so -> liba.so */
	e |= lib(f, "/usr/lib/liba.so", "liba.so", " ");
	e |= lib(f, "/usr/lib/libb.so", "libb.so", "-L'%s/usr/lib' -la", R);
	e |= prog(f, "/usr/bin/prog1", "-L'%s/usr/lib' -lb", R);

	/* RUNPATH $ORIGIN/../lib, a decoy in the system directory */
	e |= lib(f, "/opt/app/lib/libc1.so", "libc1.so", " ");
	e |= lib(f, "/usr/lib/libc1.so", "libc1.so", "-Wl,-z,defs");
	e |= prog(f, "/opt/app/bin/app", "-L'%s/opt/app/lib' -lc1 "
		  "-Wl,--enable-new-dtags,-rpath,'$ORIGIN/../lib'", R);
	e |= prog(f, "/opt/app/bin/app2", "-L'%s/opt/app/lib' -lc1 "
		  "-Wl,--enable-new-dtags,-rpath,'${ORIGIN}/../lib'", R);
	e |= prog(f, "/opt/app/bin/app3", "-L'%s/opt/app/lib' -lc1 "
		  "-Wl,--enable-new-dtags,-rpath,'/opt/$LIB/${PLATFORM}'", R);
	e |= lib(f, "/opt/mylib/myplat/libc1.so", "libc1.so", " ");
	e |= lnk(f, "/usr/bin/applink", "../../opt/app/bin/app");
	e |= lib(f, "/opt/llp/libc1.so", "libc1.so", " ");

	/* RPATH, inherited, and a RUNPATH library that does not inherit */
	e |= lib(f, "/opt/r/lib/libq.so", "libq.so", " ");
	e |= lib(f, "/opt/r/lib/libp.so", "libp.so", "-L'%s/opt/r/lib' -lq", R);
	e |= lib(f, "/opt/r/lib/libt.so", "libt.so", " ");
	e |= lib(f, "/opt/s/lib/libt.so", "libt.so", "-Wl,-z,defs");
	e |= lib(f, "/opt/r/lib/libs.so", "libs.so",
		 "-L'%s/opt/s/lib' -lt -Wl,--enable-new-dtags,-rpath,/opt/s/lib",
		 R);
	e |= prog(f, "/opt/r/bin/rp", "-L'%s/opt/r/lib' -lp -ls "
		  "-Wl,--disable-new-dtags,-rpath,/opt/r/lib", R);
	e |= lib(f, "/opt/r/lib/libw.so", "libw.so", " ");
	e |= lib(f, "/opt/r/lib/libs2.so", "libs2.so",
		 "-L'%s/opt/r/lib' -lw -Wl,--enable-new-dtags,-rpath,/opt/s/lib",
		 R);
	e |= prog(f, "/opt/r/bin/rp2", "-L'%s/opt/r/lib' -ls2 "
		  "-Wl,--disable-new-dtags,-rpath,/opt/r/lib", R);

	/* glibc-hwcaps: a v3 variant next to the base library */
	e |= lib(f, "/usr/lib/libhv3.so", "libhv3.so", " ");
	e |= lib(f, "/usr/lib/libhbase.so", "libhbase.so", " ");
	e |= lib(f, "/usr/lib/glibc-hwcaps/x86-64-v3/libh.so", "libh.so",
		 "-L'%s/usr/lib' -lhv3", R);
	e |= lib(f, "/usr/lib/libh.so", "libh.so", "-L'%s/usr/lib' -lhbase", R);
	e |= prog(f, "/usr/bin/proghw", "-L'%s/usr/lib' -lh", R);

	/* libx.so.1 -> libx.so.1.2.3 */
	e |= lib(f, "/usr/lib/libx.so.1.2.3", "libx.so.1", " ");
	e |= lnk(f, "/usr/lib/libx.so.1", "libx.so.1.2.3");
	e |= prog(f, "/usr/bin/progx", "'%s/usr/lib/libx.so.1.2.3'", R);

	/* scripts */
	e |= put(f, "/usr/bin/s1", "#!/usr/bin/s2 -x\necho hi\n", 0755);
	e |= put(f, "/usr/bin/s2", "#! /bin/prog1\n", 0755);
	e |= put(f, "/usr/bin/l1", "#!/usr/bin/l2\n", 0755);
	e |= put(f, "/usr/bin/l2", "#!/usr/bin/l1\n", 0755);
	e |= put(f, "/usr/bin/d0", "#!/usr/bin/d1\n", 0755);
	e |= put(f, "/usr/bin/d1", "#!/usr/bin/d2\n", 0755);
	e |= put(f, "/usr/bin/d2", "#!/usr/bin/d3\n", 0755);
	e |= put(f, "/usr/bin/d3", "#!/usr/bin/d4\n", 0755);
	e |= put(f, "/usr/bin/d4", "#!/usr/bin/prog1\n", 0755);
	e |= put(f, "/usr/bin/snoint", "#!/usr/bin/nonexistent\n", 0755);
	e |= put(f, "/usr/bin/snoexec", "#!/usr/bin/noexec\n", 0755);
	e |= put(f, "/usr/bin/srel", "#!../bin/prog1\n", 0755);
	e |= copy_trunc(f, "/usr/bin/prog1", "/usr/bin/env", 1 << 20);
	e |= put(f, "/usr/bin/senv", "#!/usr/bin/env -S A=1 s2 -x\n", 0755);
	e |= put(f, "/usr/bin/senvnone", "#!/usr/bin/env nosuch\n", 0755);
	{
		char longl[400];

		memset(longl, 'a', sizeof(longl));
		memcpy(longl, "#!/", 3);
		longl[sizeof(longl) - 1] = '\0';
		e |= put(f, "/usr/bin/slong", longl, 0755);
	}

	/* errors */
	run("cc -shared -fPIC -nostdlib -o '%s/libmissing.so' '%s/lib.c' "
	    "-Wl,-soname,libmissing.so >>'%s/cc.log' 2>&1", B, B, B);
	e |= prog(f, "/usr/bin/progm", "-L'%s' -lmissing", B);
	e |= put(f, "/usr/bin/text", "hello world\n", 0755);
	e |= copy_trunc(f, "/usr/bin/prog1", "/usr/bin/noexec", 1 << 20);
	e |= chmod(f->root, 0755);
	{
		char p[PATH_MAX];

		path_in(f, "/usr/bin/noexec", p);
		e |= chmod(p, 0644);
	}
	e |= copy_trunc(f, "/usr/bin/prog1", "/usr/bin/trunc", 64);
	e |= copy_trunc(f, "/usr/lib/libb.so", "/opt/corrupt/libb.so", 100);
	e |= run("mkdir -p '%s/usr/bin/adir'", R);

	/* the wrong ELF class first in the search path */
	e |= lib(f, "/usr/lib/libwc.so", "libwc.so", " ");
	e |= prog(f, "/usr/bin/progwc", "-L'%s/usr/lib' -lwc", R);
	f->m32 = !run("cc -m32 -shared -fPIC -nostdlib -o '%s/libwc.so' "
		      "'%s/lib.c' -Wl,-soname,libwc.so >>'%s/cc.log' 2>&1",
		      B, B, B);
	if (f->m32) {
		e |= run("cp '%s/libwc.so' '%s/lib32x/libwc.so'", B, R);
		e |= run("cc -m32 -shared -fPIC -nostdlib -o "
			 "'%s/usr/lib/ld-linux.so.2' '%s/lib.c' "
			 "-Wl,-soname,ld-linux.so.2 >>'%s/cc.log' 2>&1",
			 R, B, B);
		e |= run("cc -m32 -fPIC -nostdlib -o '%s/usr/bin/prog32' "
			 "'%s/prog.c' -Wl,--no-as-needed '%s/libwc.so' "
			 ">>'%s/cc.log' 2>&1", R, B, B, B);
	} else {
		e |= fake32(f, "/lib32x/libwc.so");
	}

	/* ld.so.cache */
	e |= lib(f, "/opt/cached/libcached.so.1", "libcached.so.1", " ");
	e |= lib(f, "/opt/cached32/libcached.so.1", "libcached.so.1", " ");
	e |= lib(f, "/opt/hc/libhc.so", "libhc.so", " ");
	e |= lib(f, "/opt/hc/glibc-hwcaps/x86-64-v3/libhc.so", "libhc.so",
		 " ");
	e |= lib(f, "/usr/lib/libsys.so", "libsys.so", " ");
	e |= prog(f, "/usr/bin/progc", "'%s/opt/cached/libcached.so.1' "
		  "'%s/opt/hc/libhc.so'", R, R);
	e |= prog(f, "/usr/bin/progn", "'%s/opt/cached/libcached.so.1' "
		  "-Wl,-z,nodefaultlib", R);
	e |= prog(f, "/usr/bin/progns", "'%s/usr/lib/libsys.so' "
		  "-Wl,-z,nodefaultlib", R);
	{
		static const struct lcg_ent ce[] = {
			{ 0x0003, "libcached.so.1",
			  "/opt/cached32/libcached.so.1" },
			{ 0x0303, "libcached.so.1",
			  "/opt/cached/libcached.so.1" },
			{ 0x0303, "libhc.so", "/opt/hc/libhc.so" },
			{ 0x0303, "libhc.so",
			  "/opt/hc/glibc-hwcaps/x86-64-v3/libhc.so" },
			{ 0x0303, "libsys.so", "/lib/libsys.so" },
		};

		e |= write_cache(f, "/etc/ld.so.cache", ce,
				 sizeof(ce) / sizeof(ce[0]));
	}
	e |= put(f, "/etc/ld.so.cache.bad", "glibc-ld.so.cache1.1 garbage",
		 0644);

	/* a directory to ship */
	e |= put(f, "/data/a", "A\n", 0640);
	e |= put(f, "/data/sub/b", "B\n", 0644);
	e |= put(f, "/data/sub/deeper/c", "C\n", 0600);
	e |= lnk(f, "/data/link", "sub/b");
	e |= run("cp '%s/usr/lib/libb.so' '%s/data/lib.so' && mkdir '%s/data/emptydir'",
		 R, R, R);
	e |= lnk(f, "/datalink", "data");
	e |= lnk(f, "/usr/lib/plugin.so", "libb.so");

	/* links for the realpath helper */
	e |= lnk(f, "/loop1", "loop2");
	e |= lnk(f, "/loop2", "loop1");
	e |= lnk(f, "/escape", "../../../../../etc");
	{
		char n[64], t[64];
		int i;

		for (i = 0; i < 41; i++) {
			snprintf(n, sizeof(n), "/chain/l%d", i);
			snprintf(t, sizeof(t), "l%d", i + 1);
			e |= lnk(f, n, t);
		}
		e |= put(f, "/chain/l41", "end\n", 0644);
	}
	return e ? -1 : 0;
}

/* ---------------------------------------------------------------- */
/* Checking closures                                                 */

static void opts_fx(const struct fx *f, struct bpsh_closure_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->root = f->root;
	o->system_dirs = sysdirs;
	o->ldcache = "/no/ld.so.cache";
}

/* Print the closure (on a failure). */
static void dump(const struct bpsh_closure *c)
{
	size_t i;

	for (i = 0; i < c->nfiles; i++)
		printf("#     %s %s%s%s\n",
		       c->files[i].kind == BPSH_FILE_REG ? "REG " :
		       c->files[i].kind == BPSH_FILE_LINK ? "LINK" : "DIR ",
		       c->files[i].path, c->files[i].target ? " -> " : "",
		       c->files[i].target ? c->files[i].target : "");
}

static bool is_kind(const struct bpsh_closure *c, const char *path,
		    enum bpsh_file_kind kind)
{
	const struct bpsh_file *f = bpsh_closure_find(c, path);

	return f && f->kind == kind;
}

/* Check that the closure has @path as @kind (NULL target: any). */
static bool expect(struct tap *t, const struct bpsh_closure *c,
		   const char *what, const char *path,
		   enum bpsh_file_kind kind, const char *target)
{
	const struct bpsh_file *f = bpsh_closure_find(c, path);
	bool ok = f && f->kind == kind &&
		  (!target || (f->target && !strcmp(f->target, target)));

	if (!tap_ok(t, ok, "%s: %s %s%s%s (found: %s%s%s)", what,
		    kind == BPSH_FILE_REG ? "REG" :
		    kind == BPSH_FILE_LINK ? "LINK" : "DIR", path,
		    target ? " -> " : "", target ? target : "",
		    !f ? "nothing" : f->kind == BPSH_FILE_REG ? "REG" :
		    f->kind == BPSH_FILE_LINK ? "LINK" : "DIR",
		    f && f->target ? " -> " : "",
		    f && f->target ? f->target : ""))
		dump(c);
	return ok;
}

static bool absent(struct tap *t, const struct bpsh_closure *c,
		   const char *what, const char *path)
{
	bool ok = !bpsh_closure_find(c, path);

	if (!tap_ok(t, ok, "%s: no %s", what, path))
		dump(c);
	return ok;
}

static bool normalised(const struct bpsh_closure *c, const char **bad)
{
	size_t i, n;

	for (i = 0; i < c->nfiles; i++) {
		const char *p = c->files[i].path;

		n = strlen(p);
		if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") ||
		    strstr(p, "/../") || (n > 1 && p[n - 1] == '/') ||
		    (n >= 2 && !strcmp(p + n - 2, "/.")) ||
		    (n >= 3 && !strcmp(p + n - 3, "/.."))) {
			*bad = p;
			return false;
		}
	}
	return true;
}

/* Run bpsh_closure_program() in a fresh closure with @o. */
static int program(struct bpsh_closure *c, const struct bpsh_closure_opts *o,
		   const char *prog, const char *path, char *res,
		   struct bpsh_err *err)
{
	bpsh_closure_init(c, o);
	memset(err, 0, sizeof(*err));
	res[0] = '\0';
	return bpsh_closure_program(c, prog, path, res, err);
}

static void test_basic(struct tap *t, const struct fx *f)
{
	static const char *const want[] = {
		"/bin/prog1", "/usr/bin/prog1", "/lib64/ld-linux-x86-64.so.2",
		"/usr/lib64/ld-linux-x86-64.so.2",
		"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
		"/lib/libb.so", "/usr/lib/libb.so", "/lib/liba.so",
		"/usr/lib/liba.so",
	};
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX], p[PATH_MAX];
	const char *bad = "";
	const struct bpsh_file *e;
	struct stat st;
	size_t i, miss = 0;
	int r;

	opts_fx(f, &o);
	r = program(&c, &o, "prog1", "/nowhere::/bin", res, &err);
	tap_ok(t, r == 0, "prog1 in PATH /nowhere::/bin (%d %s)", r, err.msg);
	tap_ok(t, !strcmp(res, "/usr/bin/prog1"),
	       "resolved is the real path without the root (%s)", res);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		miss += !bpsh_closure_find(&c, want[i]);
	if (!tap_ok(t, miss == 0 && c.nfiles == i,
		    "prog1: exactly the program, ld.so, libb, liba at both paths (%zu entries, %zu missing)",
		    c.nfiles, miss))
		dump(&c);
	expect(t, &c, "prog1", "/bin/prog1", BPSH_FILE_REG, NULL);
	expect(t, &c, "prog1", "/lib64/ld-linux-x86-64.so.2", BPSH_FILE_LINK,
	       "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2");
	expect(t, &c, "prog1", "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
	       BPSH_FILE_REG, NULL);
	expect(t, &c, "prog1", "/lib/liba.so", BPSH_FILE_REG, NULL);
	absent(t, &c, "prog1: a symlinked directory is never an entry", "/lib");
	absent(t, &c, "prog1: a symlinked directory is never an entry", "/bin");
	absent(t, &c, "prog1: a symlinked directory is never an entry",
	       "/lib64");
	tap_ok(t, normalised(&c, &bad), "every path is normalised (%s)", bad);
	e = bpsh_closure_find(&c, "/usr/bin/prog1");
	path_in(f, "/usr/bin/prog1", p);
	stat(p, &st);
	tap_ok(t, e && e->size == (uint64_t)st.st_size &&
	       e->ino == st.st_ino && e->dev == st.st_dev &&
	       e->mode == (st.st_mode & 07777) &&
	       e->mtime_ns == st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec &&
	       e->ctime_ns == st.st_ctim.tv_sec * 1000000000LL + st.st_ctim.tv_nsec &&
	       !e->hashed,
	       "a REG entry has the file's stat (size %llu, mode %o)",
	       e ? (unsigned long long)e->size : 0ULL, e ? e->mode : 0);
	e = bpsh_closure_find(&c, "/lib64/ld-linux-x86-64.so.2");
	path_in(f, "/usr/lib64/ld-linux-x86-64.so.2", p);
	lstat(p, &st);
	tap_ok(t, e && e->ino == st.st_ino && e->size == (uint64_t)st.st_size,
	       "a LINK entry has the link's lstat (ino %llu)",
	       e ? (unsigned long long)e->ino : 0ULL);
	e = bpsh_closure_find(&c, "/bin/prog1");
	tap_ok(t, e && e->ino == bpsh_closure_find(&c, "/usr/bin/prog1")->ino,
	       "the file through /bin is the same file");
	/* A second program into the same set: dedupe. */
	r = bpsh_closure_program(&c, "/usr/bin/prog1", NULL, res, &err);
	tap_ok(t, r == 0 && c.nfiles == i,
	       "the same program again adds nothing (%d, %zu)", r, c.nfiles);
	bpsh_closure_free(&c);
	tap_ok(t, c.nfiles == 0 && !c.files, "free empties the set");
}

static void test_paths(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX];
	int r;

	opts_fx(f, &o);
	r = program(&c, &o, "/opt/app/bin/app", NULL, res, &err);
	tap_ok(t, r == 0, "RUNPATH $ORIGIN/../lib (%d %s)", r, err.msg);
	expect(t, &c, "$ORIGIN", "/opt/app/lib/libc1.so", BPSH_FILE_REG, NULL);
	absent(t, &c, "RUNPATH before the system directories",
	       "/usr/lib/libc1.so");
	absent(t, &c, "RUNPATH before the system directories", "/lib/libc1.so");
	bpsh_closure_free(&c);

	r = program(&c, &o, "/opt/app/bin/app2", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/opt/app/lib/libc1.so", BPSH_FILE_REG),
	       "${ORIGIN} too (%d %s)", r, err.msg);
	bpsh_closure_free(&c);

	o.lib = "mylib";
	o.platform = "myplat";
	r = program(&c, &o, "/opt/app/bin/app3", NULL, res, &err);
	tap_ok(t, r == 0 &&
	       is_kind(&c, "/opt/mylib/myplat/libc1.so", BPSH_FILE_REG),
	       "$LIB and ${PLATFORM} from the options (%d %s)", r, err.msg);
	bpsh_closure_free(&c);
	o.lib = o.platform = NULL;

	r = program(&c, &o, "applink", "/usr/bin", res, &err);
	tap_ok(t, r == 0 && !strcmp(res, "/opt/app/bin/app"),
	       "a symlinked program resolves to its target (%d %s %s)", r,
	       res, err.msg);
	expect(t, &c, "symlinked program", "/usr/bin/applink", BPSH_FILE_LINK,
	       "../../opt/app/bin/app");
	expect(t, &c, "symlinked program", "/opt/app/bin/app", BPSH_FILE_REG,
	       NULL);
	expect(t, &c, "$ORIGIN of the real path", "/opt/app/lib/libc1.so",
	       BPSH_FILE_REG, NULL);
	bpsh_closure_free(&c);

	o.ld_library_path = "/nowhere:/opt/llp";
	r = program(&c, &o, "/opt/app/bin/app", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/opt/llp/libc1.so", BPSH_FILE_REG) &&
	       !bpsh_closure_find(&c, "/opt/app/lib/libc1.so"),
	       "LD_LIBRARY_PATH comes before RUNPATH (%d %s)", r, err.msg);
	bpsh_closure_free(&c);
	o.ld_library_path = NULL;

	r = program(&c, &o, "/opt/r/bin/rp", NULL, res, &err);
	tap_ok(t, r == 0, "RPATH program (%d %s)", r, err.msg);
	expect(t, &c, "RPATH", "/opt/r/lib/libp.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "RPATH inherited by a library without paths",
	       "/opt/r/lib/libq.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "a RUNPATH library uses its RUNPATH",
	       "/opt/s/lib/libt.so", BPSH_FILE_REG, NULL);
	absent(t, &c, "a RUNPATH library does not inherit the RPATH",
	       "/opt/r/lib/libt.so");
	bpsh_closure_free(&c);

	r = program(&c, &o, "/opt/r/bin/rp2", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "libw.so") &&
	       strstr(err.msg, "needed by /opt/r/lib/libs2.so") &&
	       strstr(err.msg, "RUNPATH /opt/s/lib"),
	       "a RUNPATH library does not see the program's RPATH (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);

	r = program(&c, &o, "/usr/bin/proghw", NULL, res, &err);
	tap_ok(t, r == 0, "glibc-hwcaps program (%d %s)", r, err.msg);
	expect(t, &c, "hwcaps variant", "/lib/glibc-hwcaps/x86-64-v3/libh.so",
	       BPSH_FILE_REG, NULL);
	expect(t, &c, "hwcaps variant at its real path",
	       "/usr/lib/glibc-hwcaps/x86-64-v3/libh.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "hwcaps base", "/lib/libh.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "the variant's DT_NEEDED", "/lib/libhv3.so",
	       BPSH_FILE_REG, NULL);
	expect(t, &c, "the base's DT_NEEDED", "/lib/libhbase.so",
	       BPSH_FILE_REG, NULL);
	bpsh_closure_free(&c);

	r = program(&c, &o, "/usr/bin/progx", NULL, res, &err);
	tap_ok(t, r == 0, "symlinked library (%d %s)", r, err.msg);
	expect(t, &c, "soname link", "/lib/libx.so.1", BPSH_FILE_LINK,
	       "libx.so.1.2.3");
	expect(t, &c, "soname link at its real path", "/usr/lib/libx.so.1",
	       BPSH_FILE_LINK, "libx.so.1.2.3");
	expect(t, &c, "link target", "/lib/libx.so.1.2.3", BPSH_FILE_REG, NULL);
	expect(t, &c, "link target", "/usr/lib/libx.so.1.2.3", BPSH_FILE_REG,
	       NULL);
	bpsh_closure_free(&c);
}

static void test_class(struct tap *t, const struct fx *f)
{
	static const char *const only32[] = { "/lib32x", NULL };
	static const char *const dirs32[] = { "/lib", "/lib32x", NULL };
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX];
	int r;

	opts_fx(f, &o);
	r = program(&c, &o, "/usr/bin/progwc", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/lib/libwc.so", BPSH_FILE_REG) &&
	       !bpsh_closure_find(&c, "/lib32x/libwc.so"),
	       "a 32-bit %s first in the search path is skipped (%d %s)",
	       f->m32 ? "library" : "ELF header", r, err.msg);
	bpsh_closure_free(&c);
	o.system_dirs = only32;
	r = program(&c, &o, "/usr/bin/progwc", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "another ELF class"),
	       "only the wrong class: not found, and said so (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
	if (!f->m32) {
		tap_skip(t, "cc -m32 does not work here: no 32-bit program");
		return;
	}
	o.system_dirs = dirs32;
	r = program(&c, &o, "/usr/bin/prog32", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/lib32x/libwc.so", BPSH_FILE_REG) &&
	       !bpsh_closure_find(&c, "/lib/libwc.so") &&
	       is_kind(&c, "/usr/lib/ld-linux.so.2", BPSH_FILE_REG),
	       "a 32-bit program: its interpreter, the 64-bit library skipped (%d %s)",
	       r, err.msg);
	if (!t->run || r || !is_kind(&c, "/lib32x/libwc.so", BPSH_FILE_REG))
		dump(&c);
	bpsh_closure_free(&c);
}

static void test_scripts(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX], cwd[PATH_MAX], p[PATH_MAX];
	int r;

	opts_fx(f, &o);
	r = program(&c, &o, "s1", "/usr/bin", res, &err);
	tap_ok(t, r == 0 && !strcmp(res, "/usr/bin/s1"),
	       "#! script -> #! script -> ELF (%d %s %s)", r, res, err.msg);
	expect(t, &c, "script", "/usr/bin/s1", BPSH_FILE_REG, NULL);
	expect(t, &c, "interpreter script", "/usr/bin/s2", BPSH_FILE_REG, NULL);
	expect(t, &c, "interpreter through /bin", "/bin/prog1", BPSH_FILE_REG,
	       NULL);
	expect(t, &c, "interpreter's closure", "/lib/liba.so", BPSH_FILE_REG,
	       NULL);
	bpsh_closure_free(&c);

	r = program(&c, &o, "senv", "/usr/bin", res, &err);
	tap_ok(t, r == 0, "#!/usr/bin/env -S A=1 s2 (%d %s)", r, err.msg);
	expect(t, &c, "env itself", "/usr/bin/env", BPSH_FILE_REG, NULL);
	expect(t, &c, "what env runs, from PATH", "/usr/bin/s2", BPSH_FILE_REG,
	       NULL);
	expect(t, &c, "its interpreter in turn", "/bin/prog1", BPSH_FILE_REG,
	       NULL);
	bpsh_closure_free(&c);
	r = program(&c, &o, "senvnone", "/usr/bin", res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "nosuch"),
	       "#!/usr/bin/env of a program not in PATH is -ENOENT, named (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);

	r = program(&c, &o, "/usr/bin/l1", NULL, res, &err);
	tap_ok(t, r == -ELOOP, "a #! loop is -ELOOP (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/d1", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/usr/bin/d4", BPSH_FILE_REG),
	       "4 levels of #! are allowed (%d %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/d0", NULL, res, &err);
	tap_ok(t, r == -ELOOP, "5 levels of #! are -ELOOP (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/snoint", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "/usr/bin/nonexistent"),
	       "a missing interpreter is -ENOENT, named (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/snoexec", NULL, res, &err);
	tap_ok(t, r == -EACCES && strstr(err.msg, "/usr/bin/noexec"),
	       "a non-executable interpreter is -EACCES (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/slong", NULL, res, &err);
	tap_ok(t, r == -ENOEXEC,
	       "a #! line whose interpreter does not fit is -ENOEXEC (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);

	/* A relative interpreter: from the current directory. */
	if (!getcwd(cwd, sizeof(cwd)))
		strcpy(cwd, "/");
	path_in(f, "/usr/lib", p);
	if (chdir(p)) {
		tap_skip(t, "cannot chdir to %s", p);
		return;
	}
	r = program(&c, &o, "/usr/bin/srel", NULL, res, &err);
	tap_ok(t, r == 0 && is_kind(&c, "/usr/bin/prog1", BPSH_FILE_REG),
	       "a relative interpreter is found from the current directory (%d %s)",
	       r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "../bin/prog1", NULL, res, &err);
	tap_ok(t, r == 0 && !strcmp(res, "/usr/bin/prog1"),
	       "a relative program path (%d %s %s)", r, res, err.msg);
	bpsh_closure_free(&c);
	if (chdir(cwd))
		printf("# cannot chdir back to %s\n", cwd);
}

static void test_errors(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX];
	int r;

	opts_fx(f, &o);
	r = program(&c, &o, "/usr/bin/progm", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "libmissing.so") &&
	       strstr(err.msg, "needed by /usr/bin/progm") &&
	       strstr(err.msg, "/lib32x, /lib"),
	       "a missing library is -ENOENT, named with what needs it (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/text", NULL, res, &err);
	tap_ok(t, r == -ENOEXEC, "neither ELF nor #! is -ENOEXEC (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/noexec", NULL, res, &err);
	tap_ok(t, r == -EACCES, "a non-executable file is -EACCES (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "noexec", "/usr/bin", res, &err);
	tap_ok(t, r == -EACCES,
	       "... also when found in PATH (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/adir", NULL, res, &err);
	tap_ok(t, r == -EACCES, "a directory is -EACCES (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "nonexistent", "/usr/bin:/bin", res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "nonexistent"),
	       "not in PATH is -ENOENT (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/nonexistent", NULL, res, &err);
	tap_ok(t, r == -ENOENT, "a missing path is -ENOENT (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/trunc", NULL, res, &err);
	tap_ok(t, r == -ENOEXEC && strstr(err.msg, "/usr/bin/trunc"),
	       "an ELF file truncated after its header is -ENOEXEC (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);
	o.ld_library_path = "/opt/corrupt";
	r = program(&c, &o, "/usr/bin/prog1", NULL, res, &err);
	tap_ok(t, r == -ENOEXEC && strstr(err.msg, "/opt/corrupt/libb.so"),
	       "a corrupt library in the search path is -ENOEXEC (%d: %s)", r,
	       err.msg);
	bpsh_closure_free(&c);
}

/* Random changes to a real program: errors, never a crash. */
static void test_fuzz(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX], p[PATH_MAX];
	unsigned char *img, *m;
	size_t len, i, k, ok = 0, fail = 0;
	FILE *fp;
	int r;

	opts_fx(f, &o);
	path_in(f, "/usr/bin/prog1", p);
	fp = fopen(p, "rb");
	img = malloc(1 << 20);
	len = fp ? fread(img, 1, 1 << 20, fp) : 0;
	if (fp)
		fclose(fp);
	m = malloc(len ? len : 1);
	path_in(f, "/usr/bin/fuzz", p);
	srand(7);
	for (i = 0; len && i < 600; i++) {
		size_t n = 1 + rand() % 8, flen = len;

		memcpy(m, img, len);
		for (k = 0; k < n; k++) {
			/* mostly the headers and the dynamic section */
			size_t at = rand() % 3 ? rand() % (len < 1024 ? len : 1024) :
				    rand() % len;

			m[at] = rand() % 4 ? rand() : (rand() % 2 ? 0xff : 0);
		}
		if (i % 10 == 0)
			flen = rand() % len;
		fp = fopen(p, "wb");
		if (!fp)
			break;
		fwrite(m, 1, flen, fp);
		fclose(fp);
		chmod(p, 0755);
		r = program(&c, &o, "/usr/bin/fuzz", NULL, res, &err);
		if (r)
			fail++;
		else
			ok++;
		bpsh_closure_free(&c);
		bpsh_closure_init(&c, &o);
		r = bpsh_closure_path(&c, "/usr/bin/fuzz", &err);
		bpsh_closure_free(&c);
	}
	tap_ok(t, len && ok + fail == 600,
	       "600 mutated programs: no crash (%zu closures, %zu errors)", ok,
	       fail);
	free(img);
	free(m);
}

static void test_cache(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX];
	int r;

	opts_fx(f, &o);
	o.ldcache = "/etc/ld.so.cache";
	r = program(&c, &o, "/usr/bin/progc", NULL, res, &err);
	tap_ok(t, r == 0, "libraries from ld.so.cache (%d %s)", r, err.msg);
	expect(t, &c, "cache", "/opt/cached/libcached.so.1", BPSH_FILE_REG,
	       NULL);
	absent(t, &c, "the i386 cache entry is not used",
	       "/opt/cached32/libcached.so.1");
	expect(t, &c, "cache hwcaps variant",
	       "/opt/hc/glibc-hwcaps/x86-64-v3/libhc.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "cache base variant", "/opt/hc/libhc.so", BPSH_FILE_REG,
	       NULL);
	bpsh_closure_free(&c);

	o.ldcache = NULL;
	r = program(&c, &o, "/usr/bin/progc", NULL, res, &err);
	tap_ok(t, r == 0 &&
	       is_kind(&c, "/opt/cached/libcached.so.1", BPSH_FILE_REG),
	       "the default cache is /etc/ld.so.cache under the root (%d %s)",
	       r, err.msg);
	bpsh_closure_free(&c);

	o.ldcache = "/etc/ld.so.cache.bad";
	r = program(&c, &o, "/usr/bin/progc", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "libcached.so.1") &&
	       !strstr(err.msg, "ld.so.cache"),
	       "a corrupt cache is ignored (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);

	o.ldcache = "/etc/ld.so.cache";
	r = program(&c, &o, "/usr/bin/progn", NULL, res, &err);
	tap_ok(t, r == 0 &&
	       is_kind(&c, "/opt/cached/libcached.so.1", BPSH_FILE_REG),
	       "DF_1_NODEFLIB: cache entries outside the system directories stay (%d %s)",
	       r, err.msg);
	bpsh_closure_free(&c);
	r = program(&c, &o, "/usr/bin/progns", NULL, res, &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "libsys.so"),
	       "DF_1_NODEFLIB: no system directories, nor cache entries in them (%d: %s)",
	       r, err.msg);
	bpsh_closure_free(&c);
}

static void test_path(struct tap *t, const struct fx *f)
{
	static const char *const want[] = {
		"/data", "/data/a", "/data/emptydir", "/data/lib.so",
		"/data/link", "/data/sub", "/data/sub/b", "/data/sub/deeper",
		"/data/sub/deeper/c",
	};
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err = { 0 };
	const struct bpsh_file *e;
	size_t i, miss = 0;
	int r;

	opts_fx(f, &o);
	bpsh_closure_init(&c, &o);
	r = bpsh_closure_path(&c, "/data", &err);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		miss += !bpsh_closure_find(&c, want[i]);
	if (!tap_ok(t, r == 0 && miss == 0 && c.nfiles == i,
		    "a directory and everything below it (%d %s, %zu entries, %zu missing)",
		    r, err.msg, c.nfiles, miss))
		dump(&c);
	expect(t, &c, "directory", "/data", BPSH_FILE_DIR, NULL);
	expect(t, &c, "directory", "/data/sub/deeper", BPSH_FILE_DIR, NULL);
	expect(t, &c, "directory", "/data/emptydir", BPSH_FILE_DIR, NULL);
	expect(t, &c, "directory", "/data/link", BPSH_FILE_LINK, "sub/b");
	expect(t, &c, "directory", "/data/sub/deeper/c", BPSH_FILE_REG, NULL);
	e = bpsh_closure_find(&c, "/data/sub/deeper/c");
	tap_ok(t, e && e->mode == 0600 && e->size == 2,
	       "a file in the walk has its mode and size (%o %llu)",
	       e ? e->mode : 0, e ? (unsigned long long)e->size : 0ULL);
	absent(t, &c, "an ELF file in a directory is data", "/lib/liba.so");
	bpsh_closure_free(&c);

	bpsh_closure_init(&c, &o);
	r = bpsh_closure_path(&c, "/datalink/", &err);
	tap_ok(t, r == 0 && is_kind(&c, "/datalink", BPSH_FILE_DIR) &&
	       is_kind(&c, "/data", BPSH_FILE_DIR) &&
	       is_kind(&c, "/datalink/sub/b", BPSH_FILE_REG) &&
	       is_kind(&c, "/data/sub/b", BPSH_FILE_REG),
	       "a symlinked directory: walked at both paths, no link (%d %s)",
	       r, err.msg);
	bpsh_closure_free(&c);

	bpsh_closure_init(&c, &o);
	r = bpsh_closure_path(&c, "/usr/lib/plugin.so", &err);
	tap_ok(t, r == 0, "a plugin (%d %s)", r, err.msg);
	expect(t, &c, "plugin", "/usr/lib/plugin.so", BPSH_FILE_LINK,
	       "libb.so");
	expect(t, &c, "plugin", "/usr/lib/libb.so", BPSH_FILE_REG, NULL);
	expect(t, &c, "plugin's closure", "/lib/liba.so", BPSH_FILE_REG, NULL);
	bpsh_closure_free(&c);

	bpsh_closure_init(&c, &o);
	r = bpsh_closure_path(&c, "/data/a", &err);
	tap_ok(t, r == 0 && c.nfiles == 1 &&
	       is_kind(&c, "/data/a", BPSH_FILE_REG),
	       "a data file alone (%d %s %zu)", r, err.msg, c.nfiles);
	r = bpsh_closure_path(&c, "/lib/libx.so.1", &err);
	tap_ok(t, r == 0 && is_kind(&c, "/lib/libx.so.1", BPSH_FILE_LINK) &&
	       is_kind(&c, "/usr/lib/libx.so.1.2.3", BPSH_FILE_REG),
	       "a symlink and what it points to (%d %s)", r, err.msg);
	r = bpsh_closure_path(&c, "/nonexistent/file", &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "/nonexistent/file"),
	       "a missing path is -ENOENT, named (%d: %s)", r, err.msg);
	r = bpsh_closure_path(&c, "/usr/bin/trunc", &err);
	tap_ok(t, r == -ENOEXEC, "a corrupt ELF file is an error (%d: %s)", r,
	       err.msg);
	r = bpsh_closure_path(&c, "/usr/bin/progm", &err);
	tap_ok(t, r == -ENOENT && strstr(err.msg, "libmissing.so"),
	       "errors in a file's closure are errors (%d: %s)", r, err.msg);
	bpsh_closure_free(&c);
}

static void test_big(struct tap *t, const struct fx *f)
{
	struct bpsh_closure_opts o;
	struct bpsh_closure c;
	struct bpsh_err err = { 0 };
	char p[PATH_MAX + 32];
	int i, r, fd, made = 0;

	path_in(f, "/big", p);
	if (mkdir(p, 0755)) {
		tap_skip(t, "mkdir %s", p);
		return;
	}
	for (i = 0; i <= BPSH_MAX_DIR_ENTRIES; i++) {
		path_in(f, "/big/", p);
		snprintf(p + strlen(p), 32, "%d", i);
		fd = open(p, O_WRONLY | O_CREAT, 0644);
		if (fd < 0)
			break;
		close(fd);
		made++;
	}
	opts_fx(f, &o);
	bpsh_closure_init(&c, &o);
	r = bpsh_closure_path(&c, "/big", &err);
	tap_ok(t, made == BPSH_MAX_DIR_ENTRIES + 1 && r == -E2BIG,
	       "a directory of %d entries is -E2BIG (%d: %s)", made, r,
	       err.msg);
	bpsh_closure_free(&c);
	run("rm -rf '%s/big'", f->root);
}

static void test_realpath(struct tap *t, const struct fx *f)
{
	char out[PATH_MAX];
	int r;

	r = bpsh_root_realpath(f->root, "/lib/libb.so", out, sizeof(out));
	tap_ok(t, r == 0 && !strcmp(out, "/usr/lib/libb.so"),
	       "realpath: a relative directory link (%d %s)", r, out);
	r = bpsh_root_realpath(f->root, "/lib64/ld-linux-x86-64.so.2", out,
			       sizeof(out));
	tap_ok(t, r == 0 &&
	       !strcmp(out, "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"),
	       "realpath: an absolute link stays under the root (%d %s)", r,
	       out);
	r = bpsh_root_realpath(f->root, "/../../../lib/./../lib", out,
			       sizeof(out));
	tap_ok(t, r == 0 && !strcmp(out, "/usr/lib"),
	       "realpath: .. stops at the root (%d %s)", r, out);
	r = bpsh_root_realpath(f->root, "/escape", out, sizeof(out));
	tap_ok(t, r == 0 && !strcmp(out, "/etc"),
	       "realpath: a link climbing out stays in (%d %s)", r, out);
	r = bpsh_root_realpath(f->root, "/loop1", out, sizeof(out));
	tap_ok(t, r == -ELOOP, "realpath: a link loop is -ELOOP (%d)", r);
	r = bpsh_root_realpath(f->root, "/chain/l1", out, sizeof(out));
	tap_ok(t, r == 0 && !strcmp(out, "/chain/l41"),
	       "realpath: 40 links are allowed (%d %s)", r, out);
	r = bpsh_root_realpath(f->root, "/chain/l0", out, sizeof(out));
	tap_ok(t, r == -ELOOP, "realpath: 41 links are -ELOOP (%d)", r);
	r = bpsh_root_realpath(f->root, "/data/a/", out, sizeof(out));
	tap_ok(t, r == -ENOTDIR, "realpath: a file with a slash is -ENOTDIR (%d)",
	       r);
	r = bpsh_root_realpath(f->root, "/data/nothing", out, sizeof(out));
	tap_ok(t, r == -ENOENT, "realpath: a missing file is -ENOENT (%d)", r);
	r = bpsh_root_realpath(f->root, "/", out, sizeof(out));
	tap_ok(t, r == 0 && !strcmp(out, "/"), "realpath: / (%d %s)", r, out);
}

/* ---------------------------------------------------------------- */
/* This machine                                                      */

static void test_real(struct tap *t, const char *prog)
{
	struct bpsh_closure_opts o = { 0 };
	struct bpsh_closure c;
	struct bpsh_err err;
	char res[PATH_MAX], real[PATH_MAX], cmd[PATH_MAX + 64], line[1024];
	char miss[PATH_MAX] = "";
	size_t nlibs = 0, nmiss = 0;
	bool interp = false;
	FILE *p;
	int r;

	if (access(prog, X_OK)) {
		tap_skip(t, "no %s here", prog);
		return;
	}
	r = program(&c, &o, prog, NULL, res, &err);
	tap_ok(t, r == 0, "%s on this machine (%d %s)", prog, r, err.msg);
	if (!realpath(prog, real))
		strcpy(real, "?");
	tap_ok(t, !strcmp(res, real), "%s resolves to its realpath %s (%s)",
	       prog, real, res);
	snprintf(cmd, sizeof(cmd), "ldd '%s' 2>/dev/null", prog);
	p = popen(cmd, "r");
	while (p && fgets(line, sizeof(line), p)) {
		char path[PATH_MAX], *a = strstr(line, "=> ");
		const char *s = a ? a + 3 : line;

		while (*s == ' ' || *s == '\t')
			s++;
		if (*s != '/' || sscanf(s, "%4095s", path) != 1)
			continue;
		nlibs++;
		if (!bpsh_closure_find(&c, path) && !nmiss++)
			snprintf(miss, sizeof(miss), "%s", path);
	}
	if (p)
		pclose(p);
	tap_ok(t, nlibs > 0 && nmiss == 0,
	       "%s: all %zu files ldd lists are in the closure (%zu missing: %s)",
	       prog, nlibs, nmiss, miss);
	snprintf(cmd, sizeof(cmd),
		 "readelf -lW '%s' 2>/dev/null | sed -n 's/.*interpreter: \\(.*\\)]/\\1/p'",
		 prog);
	p = popen(cmd, "r");
	line[0] = '\0';
	if (p && fgets(line, sizeof(line), p)) {
		line[strcspn(line, "\n")] = '\0';
		interp = bpsh_closure_find(&c, line) != NULL;
	}
	if (p)
		pclose(p);
	tap_ok(t, interp, "%s: its PT_INTERP %s is in", prog, line);
	tap_ok(t, bpsh_closure_find(&c, "/lib64/ld-linux-x86-64.so.2") != NULL,
	       "%s: /lib64/ld-linux-x86-64.so.2 is a path in the closure",
	       prog);
	if (nmiss || !interp)
		dump(&c);
	bpsh_closure_free(&c);
}

int main(void)
{
	struct tap t = { 0 };
	struct fx f = { 0 };
	char tmpl[] = "/tmp/bpsh-closure.XXXXXX";

	if (!mkdtemp(tmpl)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(f.tmp, sizeof(f.tmp), "%s", tmpl);
	f.ok = !build(&f);
	if (!tap_ok(&t, f.ok, "fixtures built with cc (log: %s/cc.log)",
		    f.build)) {
		run("cat '%s/cc.log' | sed 's/^/# /'", f.build);
	} else {
		test_basic(&t, &f);
		test_paths(&t, &f);
		test_class(&t, &f);
		test_scripts(&t, &f);
		test_errors(&t, &f);
		test_cache(&t, &f);
		test_path(&t, &f);
		test_realpath(&t, &f);
		test_fuzz(&t, &f);
		test_big(&t, &f);
	}
	test_real(&t, "/bin/sh");
	if (!access("/usr/bin/python3", X_OK))
		test_real(&t, "/usr/bin/python3");
	else
		test_real(&t, "/usr/bin/ls");
	if (!t.failed)
		run("rm -rf '%s'", f.tmp);
	else
		printf("# fixtures left in %s\n", f.tmp);
	return tap_done(&t);
}
