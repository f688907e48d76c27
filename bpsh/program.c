// SPDX-License-Identifier: GPL-2.0
/*
 * Programs (files_priv.h), as execvp() finds them and the kernel runs
 * them: the search of PATH, the check that the file is a regular file the
 * caller may execute, and #! scripts, whose interpreter line is parsed as
 * binfmt_script does and followed (at most BPSH_MAX_SCRIPTS levels) down
 * to an ELF file, whose closure search.c adds.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "files_priv.h"

#define SHEBANG_BUF	256		/* the kernel's BINPRM_BUF_SIZE */

/* The file at @p exists, is regular and executable: its real path. */
static int check_exec(struct walk *w, const char *p, char *real)
{
	char fs[FSPATH_MAX];
	struct stat st;
	int r;

	r = wrealpath(w, p, real);
	if (!r)
		r = wstat(w, real, &st, true);
	if (r)
		return r;
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	r = bpsh_fspath(w->root, real, fs);
	if (r)
		return r;
	if (access(fs, X_OK))
		return -errno;
	return 0;
}

/* execvp(): @prog in the directories of @path into @out. */
int bpsh_find_program(struct walk *w, const char *prog, const char *path,
		      char *out)
{
	char dir[PATH_MAX], real[PATH_MAX];
	bool eacces = false;
	const char *p;
	int r;

	if (!prog[0])
		return bpsh_fail(w->err, -ENOENT, "empty program name");
	if (strchr(prog, '/')) {
		r = bpsh_path_norm(w->cwd, prog, out);
		if (r)
			return bpsh_fail(w->err, r, "%s: %s", prog,
					 strerror(-r));
		return 0;
	}
	if (!path)
		path = "/bin:/usr/bin";
	for (p = path;; p++) {
		size_t n = strchrnul(p, ':') - p;

		r = bpsh_path_norm_n(w->cwd, n ? p : ".", n ? n : 1, dir);
		if (!r)
			r = bpsh_path_norm(dir, prog, out);
		if (!r)
			r = check_exec(w, out, real);
		if (!r)
			return 0;
		if (r == -EACCES)
			eacces = true;
		else if (r != -ENOENT && r != -ENOTDIR && r != -ENAMETOOLONG &&
			 r != -ELOOP)
			return bpsh_fail(w->err, r, "%s: %s", out,
					 strerror(-r));
		p += n;
		if (!*p)
			break;
	}
	if (eacces)
		return bpsh_fail(w->err, -EACCES,
				 "%s: found in PATH but not executable", prog);
	return bpsh_fail(w->err, -ENOENT, "%s: not found in PATH (%s)", prog,
			 path);
}

/* Parse a #! line as the kernel does (binfmt_script.c). */
static bool spacetab(char c)
{
	return c == ' ' || c == '\t';
}

static bool terminator(char c)
{
	return spacetab(c) || !c;
}

static int parse_shebang(char *buf, char *interp, char *arg)
{
	char *end = buf + SHEBANG_BUF - 1, *i_end, *name, *q;

	i_end = memchr(buf, '\n', SHEBANG_BUF);
	if (!i_end) {
		for (q = buf + 2; q < end && spacetab(*q); q++)
			;
		if (q >= end)
			return -ENOEXEC;
		while (q < end && !terminator(*q))
			q++;
		if (q >= end)
			return -ENOEXEC;	/* the name is truncated */
		i_end = end;
	}
	while (i_end > buf + 2 && spacetab(i_end[-1]))
		i_end--;
	for (name = buf + 2; name < i_end && spacetab(*name); name++)
		;
	if (name == i_end)
		return -ENOEXEC;
	for (q = name; q < i_end && !terminator(*q); q++)
		;
	memcpy(interp, name, q - name);
	interp[q - name] = '\0';
	while (q < i_end && spacetab(*q))
		q++;
	memcpy(arg, q, i_end - q);
	arg[i_end - q] = '\0';
	return 0;
}

/*
 * "#!/usr/bin/env [-S] [-i] [NAME=VALUE]... PROG ...": the program env
 * will run, found in PATH as env finds it, is part of the job as well.
 * Options of env that take an argument (-u NAME, -C DIR, -P PATH) make
 * the line too clever to follow: the user ships what it needs (--ship).
 */
static int env_program(const char *arg, char *prog, size_t len)
{
	const char *p = arg;

	for (;;) {
		size_t n;

		while (spacetab(*p))
			p++;
		n = strcspn(p, " \t");
		if (!n)
			return -ENOENT;
		if (*p == '-') {
			if (n == 2 && strchr("uCP", p[1]))
				return -ENOENT;
		} else if (!memchr(p, '=', n)) {
			if (n >= len)
				return -ENAMETOOLONG;
			memcpy(prog, p, n);
			prog[n] = '\0';
			return 0;
		}
		p += n;
	}
}

static bool is_env(const char *interp)
{
	const char *base = strrchr(interp, '/');

	return !strcmp(base ? base + 1 : interp, "env");
}

/*
 * The program at @p (normalised), at #! level @level; its real path into
 * @real_out. @of: the script it interprets, for messages.
 */
int bpsh_add_program(struct walk *w, const char *p, int level,
		     char *real_out, const char *of)
{
	char real[PATH_MAX], buf[SHEBANG_BUF], interp[SHEBANG_BUF];
	char arg[SHEBANG_BUF], ip[PATH_MAX], what[PATH_MAX + 64];
	ssize_t n;
	int fd, r;

	if (of)
		snprintf(what, sizeof(what), "%s (interpreter of %s)", p, of);
	else
		snprintf(what, sizeof(what), "%s", p);
	r = check_exec(w, p, real);
	if (r == -ENOENT || r == -ENOTDIR)
		return bpsh_fail(w->err, -ENOENT, "%s: not found", what);
	if (r == -EACCES)
		return bpsh_fail(w->err, r, "%s: not an executable file", what);
	if (r)
		return bpsh_fail(w->err, r, "%s: %s", what, strerror(-r));
	if (real_out)
		strcpy(real_out, real);
	fd = wopen(w, real, O_RDONLY);
	if (fd < 0)
		return bpsh_fail(w->err, fd, "%s: %s", what, strerror(-fd));
	memset(buf, 0, sizeof(buf));
	n = pread(fd, buf, sizeof(buf), 0);
	r = n < 0 ? -errno : 0;
	close(fd);
	if (r)
		return bpsh_fail(w->err, r, "%s: %s", what, strerror(-r));
	r = bpsh_add_chain(w, p);
	if (r)
		return bpsh_fail(w->err, r, "%s: %s", what, strerror(-r));
	if (n >= 2 && buf[0] == '#' && buf[1] == '!') {
		if (level >= BPSH_MAX_SCRIPTS)
			return bpsh_fail(w->err, -ELOOP,
					 "%s: more than %d levels of #! interpreters",
					 what, BPSH_MAX_SCRIPTS);
		if (parse_shebang(buf, interp, arg))
			return bpsh_fail(w->err, -ENOEXEC, "%s: bad #! line",
					 what);
		r = bpsh_path_norm(w->cwd, interp, ip);
		if (r)
			return bpsh_fail(w->err, r, "%s: interpreter %s: %s",
					 what, interp, strerror(-r));
		r = bpsh_add_program(w, ip, level + 1, NULL, p);
		if (!r && is_env(interp) && !env_program(arg, interp, sizeof(interp))) {
			/* what env runs: a program of its own (level + 1) */
			r = bpsh_find_program(w, interp, w->path, ip);
			if (!r)
				r = bpsh_add_program(w, ip, level + 1, NULL, p);
		}
		return r;
	}
	if (n >= SELFMAG && !memcmp(buf, ELFMAG, SELFMAG))
		return bpsh_elf_closure(w, p, real, true);
	return bpsh_fail(w->err, -ENOEXEC,
			 "%s: neither an ELF file nor a #! script", what);
}

