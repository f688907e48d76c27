// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of the file hashes and their cache (hash.c, TAP): the
 * digest against sha256sum(1), a hit that does not read the file, a miss
 * on a changed file, malformed cache files, atomic saves, the default
 * cache file's name and the bound on unused entries.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "files.h"
#include "files_priv.h"
#include "bproc-test/tap.h"

static int write_file(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int r;

	if (!f)
		return -1;
	r = fwrite(data, 1, len, f) == len ? 0 : -1;
	if (fclose(f))
		r = -1;
	return r;
}

/* The tests' files are brand new: remember their hashes all the same. */
static int hc_open(const char *file, struct bpsh_hashcache **hc)
{
	int r = bpsh_hashcache_open(file, hc);

	if (!r)
		bpsh_hashcache_set_racy(*hc, 0);
	return r;
}

/* A closure entry for @path (under @root) as the closure makes it. */
static int entry_of(const char *root, const char *path, struct bpsh_file *f,
		    char *pathbuf)
{
	char fs[2 * PATH_MAX];
	struct stat st;

	snprintf(fs, sizeof(fs), "%s%s", root, path);
	if (stat(fs, &st))
		return -errno;
	memset(f, 0, sizeof(*f));
	strcpy(pathbuf, path);
	f->path = pathbuf;
	f->kind = BPSH_FILE_REG;
	f->mode = st.st_mode & 07777;
	f->size = st.st_size;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->mtime_ns = (int64_t)st.st_mtim.tv_sec * 1000000000 +
		      st.st_mtim.tv_nsec;
	f->ctime_ns = (int64_t)st.st_ctim.tv_sec * 1000000000 +
		      st.st_ctim.tv_nsec;
	return 0;
}

/* sha256sum(1) of @path in hex. */
static int sha256sum(const char *path, char *hex)
{
	char cmd[PATH_MAX + 32];
	FILE *p;
	int r;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	p = popen(cmd, "r");
	if (!p)
		return -1;
	r = fscanf(p, "%64s", hex) == 1 ? 0 : -1;
	pclose(p);
	return r;
}

static size_t count_lines(const char *path)
{
	FILE *f = fopen(path, "r");
	size_t n = 0;
	int ch;

	if (!f)
		return 0;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

static bool file_has(const char *path, const char *needle)
{
	char buf[8192];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return false;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	return strstr(buf, needle) != NULL;
}

/* Entries of @dir whose name contains ".tmp.". */
static int tmp_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strstr(de->d_name, ".tmp.") != NULL;
	closedir(d);
	return n;
}

int main(void)
{
	struct tap t = { 0 };
	char dir[] = "/tmp/bpsh-hash.XXXXXX", cmd[PATH_MAX + 16];
	char fs[PATH_MAX], pb[PATH_MAX], pb2[PATH_MAX], cache[PATH_MAX + 16];
	char cdir[PATH_MAX], hex[2 * BPSH_HASH_LEN + 1], want[80], line[256];
	struct bpsh_hashcache *hc;
	struct bpsh_file f, g, old, okey;
	uint8_t d1[BPSH_HASH_LEN];
	struct bpsh_err err = { 0 };
	struct stat st;
	char *data;
	size_t i, len = 200000;
	FILE *fp;
	int r;

	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	/* More than three 64 KiB chunks. */
	data = malloc(len);
	for (i = 0; i < len; i++)
		data[i] = (char)(i * 7 + i / 251);
	snprintf(fs, sizeof(fs), "%s/a", dir);
	write_file(fs, data, len);

	/* The digest, without a cache, under a root. */
	r = entry_of(dir, "/a", &f, pb);
	r = r ? r : bpsh_hash_file(NULL, dir, &f, &err);
	bp_hex(f.hash, BPSH_HASH_LEN, hex);
	want[0] = '\0';
	sha256sum(fs, want);
	memcpy(d1, f.hash, sizeof(d1));
	tap_ok(&t, r == 0 && f.hashed && !strcmp(hex, want),
	       "SHA-256 of a 200000-byte file is sha256sum's (%d %s: %s vs %s)",
	       r, err.msg, hex, want);

	/* A file changed a moment ago is hashed, but not remembered. */
	snprintf(cache, sizeof(cache), "%s/racy", dir);
	r = bpsh_hashcache_open(cache, &hc);
	entry_of(dir, "/a", &f, pb);
	r = r ? r : bpsh_hash_file(hc, dir, &f, &err);
	r = r ? r : bpsh_hashcache_save(hc);
	tap_ok(&t, r == 0 && f.hashed && !memcmp(f.hash, d1, sizeof(d1)) &&
	       count_lines(cache) <= 1,
	       "a file changed within 2 s is hashed, not cached (%d, %zu lines)",
	       r, count_lines(cache));
	bpsh_hashcache_free(hc);

	/* A fresh cache in a directory that does not exist yet. */
	snprintf(cdir, sizeof(cdir), "%s/cache/bproc", dir);
	snprintf(cache, sizeof(cache), "%s/hashes", cdir);
	r = hc_open(cache, &hc);
	tap_ok(&t, r == 0 && hc, "a missing cache file opens empty (%d)", r);
	entry_of(dir, "/a", &f, pb);
	r = bpsh_hash_file(hc, dir, &f, &err);
	tap_ok(&t, r == 0 && f.hashed && !memcmp(f.hash, d1, sizeof(d1)),
	       "hashed through the cache: the same digest (%d %s)", r, err.msg);
	r = bpsh_hashcache_save(hc);
	bpsh_hashcache_free(hc);
	memset(&st, 0, sizeof(st));
	stat(cdir, &st);
	tap_ok(&t, r == 0 && S_ISDIR(st.st_mode) &&
	       (st.st_mode & 07777) == 0700,
	       "save creates the cache directory with mode 0700 (%d, %o)", r,
	       (unsigned int)st.st_mode & 07777);
	r = tmp_files(cdir);
	tap_ok(&t, r == 0, "no temporary file left behind (%d)", r);
	fp = fopen(cache, "r");
	line[0] = '\0';
	if (fp) {
		if (!fgets(line, sizeof(line), fp))
			line[0] = '\0';
		fclose(fp);
	}
	tap_ok(&t, !strcmp(line, "bproc-hashes 1\n"),
	       "the cache file starts with its header line (%.*s)",
	       (int)strcspn(line, "\n"), line);
	snprintf(line, sizeof(line), "%llu %llu %llu %lld %lld %s\n",
		 (unsigned long long)f.dev, (unsigned long long)f.ino,
		 (unsigned long long)f.size, (long long)f.mtime_ns,
		 (long long)f.ctime_ns, want);
	tap_ok(&t, file_has(cache, line) && count_lines(cache) == 2,
	       "... then the entry: %.*s", (int)strlen(line) - 1, line);

	/*
	 * A hit does not open the file: the key of a file that is gone
	 * (its inode can be reused only once it is gone... so use its key).
	 */
	old = f;
	strcpy(pb2, "/a");
	old.path = pb2;
	old.hashed = false;
	memset(old.hash, 0, sizeof(old.hash));
	unlink(fs);
	r = hc_open(cache, &hc);
	r = r ? r : bpsh_hash_file(hc, dir, &old, &err);
	bp_hex(old.hash, BPSH_HASH_LEN, hex);
	tap_ok(&t, r == 0 && old.hashed && !strcmp(hex, want),
	       "a hit needs no file: %s hashed although deleted (%d %s)",
	       old.path, r, err.msg);
	/* Nothing new: nothing written. */
	unlink(cache);
	r = bpsh_hashcache_save(hc);
	tap_ok(&t, r == 0 && access(cache, F_OK),
	       "save without new entries writes nothing (%d)", r);
	bpsh_hashcache_free(hc);

	/* A changed mtime misses and reads the file again. */
	snprintf(fs, sizeof(fs), "%s/b", dir);
	write_file(fs, "first content\n", 14);
	r = hc_open(cache, &hc);
	entry_of(dir, "/b", &f, pb);
	r = r ? r : bpsh_hash_file(hc, dir, &f, &err);
	old = f;
	write_file(fs, "other content\n", 14);	/* same size */
	{
		struct timespec ts[2] = { { 1000, 0 }, { 1000, 0 } };

		utimensat(AT_FDCWD, fs, ts, 0);
	}
	entry_of(dir, "/b", &g, pb2);
	r = bpsh_hash_file(hc, dir, &g, &err);
	bp_hex(g.hash, BPSH_HASH_LEN, hex);
	sha256sum(fs, want);
	tap_ok(&t, r == 0 && !strcmp(hex, want) &&
	       memcmp(g.hash, old.hash, BPSH_HASH_LEN),
	       "a changed mtime misses: the new content's digest (%d %s)", r,
	       hex);
	/* The old key still hits: proof that a hit does not read. */
	old.hashed = false;
	r = bpsh_hash_file(hc, dir, &old, &err);
	tap_ok(&t, r == 0 && memcmp(old.hash, g.hash, BPSH_HASH_LEN),
	       "the old key still gives the old digest, the file unread (%d)",
	       r);
	r = bpsh_hashcache_save(hc);
	bpsh_hashcache_free(hc);
	tap_ok(&t, r == 0 && count_lines(cache) == 3,
	       "both saved (%d, %zu lines)", r, count_lines(cache));

	/* Malformed cache files are ignored as a whole. */
	okey = old;
	{
		static const char *const bad[][2] = {
			{ "garbage\n", "" },
			{ "bproc-hashes 2\n", "" },
			{ "bproc-hashes 1\n", "1 2 3 4 5 abc\n" },
			{ "bproc-hashes 1\n", "1 2 3 4 5\n" },
			{ "bproc-hashes 1\n", "1 2 3 4 5 6 7\n" },
			{ "bproc-hashes 1\n", "x 2 3 4 5 "
			  "0000000000000000000000000000000000000000000000000000000000000000\n" },
			{ "bproc-hashes 1\n", "99999999999999999999999 2 3 4 5 "
			  "0000000000000000000000000000000000000000000000000000000000000000\n" },
			{ "bproc-hashes 1\n", "1 2 3 4 5 "
			  "000000000000000000000000000000000000000000000000000000000000000g\n" },
			{ "bproc-hashes 1\n", "1 2 3 4 5 "
			  "0000000000000000000000000000000000000000000000000000000000000000" },
		};
		size_t k, okn = 0, nbad = sizeof(bad) / sizeof(bad[0]);

		for (k = 0; k < nbad; k++) {
			char body[512];

			/* a good line for the old key, then the bad one */
			snprintf(body, sizeof(body),
				 "%s%llu %llu %llu %lld %lld %064d\n%s",
				 bad[k][0], (unsigned long long)okey.dev,
				 (unsigned long long)okey.ino,
				 (unsigned long long)okey.size,
				 (long long)okey.mtime_ns,
				 (long long)okey.ctime_ns, 0, bad[k][1]);
			write_file(cache, body, strlen(body));
			r = hc_open(cache, &hc);
			old = okey;
			old.hashed = false;
			/* A miss reads the file, which has other content. */
			if (!r && !bpsh_hash_file(hc, dir, &old, &err) &&
			    !memcmp(old.hash, g.hash, BPSH_HASH_LEN))
				okn++;
			else
				printf("# not ignored: %s%s", bad[k][0],
				       bad[k][1]);
			bpsh_hashcache_free(hc);
		}
		tap_ok(&t, okn == nbad,
		       "%zu of %zu malformed cache files ignored as a whole",
		       okn, nbad);
	}
	/* ... while the well-formed version of that file hits. */
	{
		char body[512];

		snprintf(body, sizeof(body),
			 "bproc-hashes 1\n%llu %llu %llu %lld %lld %064d\n",
			 (unsigned long long)okey.dev,
			 (unsigned long long)okey.ino,
			 (unsigned long long)okey.size,
			 (long long)okey.mtime_ns, (long long)okey.ctime_ns, 0);
		write_file(cache, body, strlen(body));
		hc_open(cache, &hc);
		old = okey;
		old.hashed = false;
		r = bpsh_hash_file(hc, dir, &old, &err);
		bp_hex(old.hash, BPSH_HASH_LEN, hex);
		tap_ok(&t, r == 0 && !strcmp(hex, "0000000000000000000000000000000000000000000000000000000000000000"),
		       "a hand-written entry hits (%d %s)", r, hex);
		bpsh_hashcache_free(hc);
	}

	/* Beyond 10000 entries, those unused in this run are dropped. */
	fp = fopen(cache, "w");
	fputs("bproc-hashes 1\n", fp);
	for (i = 0; i < 10005; i++)
		fprintf(fp, "7 %zu 1 2 3 %064d\n", i + 1, 1);
	fclose(fp);
	hc_open(cache, &hc);
	entry_of(dir, "/b", &g, pb2);
	r = bpsh_hash_file(hc, dir, &g, &err);
	r = r ? r : bpsh_hashcache_save(hc);
	bpsh_hashcache_free(hc);
	tap_ok(&t, r == 0 && count_lines(cache) == 2,
	       "a cache of 10006 entries keeps the one used (%d, %zu lines)",
	       r, count_lines(cache));
	fp = fopen(cache, "w");
	fputs("bproc-hashes 1\n", fp);
	for (i = 0; i < 100; i++)
		fprintf(fp, "7 %zu 1 2 3 %064d\n", i + 1, 1);
	fclose(fp);
	hc_open(cache, &hc);
	snprintf(fs, sizeof(fs), "%s/c", dir);
	write_file(fs, "c\n", 2);
	entry_of(dir, "/c", &g, pb2);
	r = bpsh_hash_file(hc, dir, &g, &err);
	r = r ? r : bpsh_hashcache_save(hc);
	bpsh_hashcache_free(hc);
	tap_ok(&t, r == 0 && count_lines(cache) == 102,
	       "a small cache keeps its unused entries (%d, %zu lines)", r,
	       count_lines(cache));

	/* Errors. */
	entry_of(dir, "/c", &g, pb2);
	strcpy(pb2, "/gone");
	g.ino ^= 0x5a5a;
	r = bpsh_hash_file(NULL, dir, &g, &err);
	tap_ok(&t, r == -ENOENT && strstr(err.msg, "/gone"),
	       "a missing file (no cache entry) is -ENOENT (%d: %s)", r,
	       err.msg);
	g.kind = BPSH_FILE_LINK;
	r = bpsh_hash_file(NULL, dir, &g, &err);
	tap_ok(&t, r == -EINVAL, "only regular files are hashed (%d)", r);

	/* Paths resolve inside the root: an absolute symlink stays in it. */
	snprintf(fs, sizeof(fs), "%s/sub", dir);
	mkdir(fs, 0755);
	snprintf(fs, sizeof(fs), "%s/sub/x", dir);
	write_file(fs, "inside\n", 7);
	snprintf(fs, sizeof(fs), "%s/lnk", dir);
	r = symlink("/sub", fs);
	entry_of(dir, "/sub/x", &g, pb2);
	strcpy(pb2, "/lnk/x");
	err.msg[0] = '\0';
	r = r ? -errno : bpsh_hash_file(NULL, dir, &g, &err);
	snprintf(fs, sizeof(fs), "%s/sub/x", dir);
	sha256sum(fs, want);
	bp_hex(g.hash, BPSH_HASH_LEN, hex);
	tap_ok(&t, r == 0 && !strcmp(hex, want),
	       "an absolute symlink in the path resolves under the root (%d %s)",
	       r, err.msg);

	/* A file that keeps changing while it is read: -EAGAIN. */
	{
		int fd, status;
		pid_t pid;

		snprintf(fs, sizeof(fs), "%s/changing", dir);
		fd = open(fs, O_RDWR | O_CREAT, 0644);
		r = fd < 0 ? -errno : ftruncate(fd, 64 << 20) ? -errno : 0;
		pid = r ? -1 : fork();
		if (pid == 0) {
			/* the size (and ctime) change all the time */
			for (i = 0; i < 100000000; i++)
				if (ftruncate(fd, (64 << 20) + (i & 1)))
					_exit(1);
			_exit(0);
		}
		entry_of(dir, "/changing", &g, pb2);
		r = pid < 0 ? -errno : bpsh_hash_file(NULL, dir, &g, &err);
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
		}
		if (fd >= 0)
			close(fd);
		tap_ok(&t, r == -EAGAIN && strstr(err.msg, "changed while hashing"),
		       "a file changing while read gives up with -EAGAIN (%d %s)",
		       r, err.msg);
	}

	/* The default cache file. */
	{
		char buf[PATH_MAX], small[8];
		char *ox = getenv("XDG_CACHE_HOME"), *oh = getenv("HOME");
		char *sx = ox ? strdup(ox) : NULL, *sh = oh ? strdup(oh) : NULL;

		setenv("XDG_CACHE_HOME", "/x/cache", 1);
		setenv("HOME", "/home/u", 1);
		r = bpsh_hashcache_default(buf, sizeof(buf));
		tap_ok(&t, r == 0 && !strcmp(buf, "/x/cache/bproc/hashes"),
		       "$XDG_CACHE_HOME/bproc/hashes (%d %s)", r, buf);
		r = bpsh_hashcache_default(small, sizeof(small));
		tap_ok(&t, r == -ENAMETOOLONG, "a short buffer (%d)", r);
		unsetenv("XDG_CACHE_HOME");
		r = bpsh_hashcache_default(buf, sizeof(buf));
		tap_ok(&t, r == 0 && !strcmp(buf, "/home/u/.cache/bproc/hashes"),
		       "else ~/.cache/bproc/hashes (%d %s)", r, buf);
		unsetenv("HOME");
		r = bpsh_hashcache_default(buf, sizeof(buf));
		tap_ok(&t, r == -ENOENT, "neither set: -ENOENT (%d)", r);
		if (sx)
			setenv("XDG_CACHE_HOME", sx, 1);
		if (sh)
			setenv("HOME", sh, 1);
		free(sx);
		free(sh);
	}

	free(data);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd))
		fprintf(stderr, "cannot remove %s\n", dir);
	return tap_done(&t);
}
