// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of a job's manifest, its struct bproc_job and the I/O
 * connections' messages (bp_job.h, wire_job.c), TAP.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bp_crypto.h"
#include "bp_job.h"
#include "bp_wire.h"
#include "bproc-test/tap.h"

static struct bp_job_entry file(const char *path, uint64_t size, uint8_t h)
{
	struct bp_job_entry e = { .kind = BP_JOB_FILE, .mode = 0755,
				  .size = size, .path = path };

	memset(e.hash, h, sizeof(e.hash));
	return e;
}

static void test_paths(struct tap *t)
{
	static const char *const good[] = {
		"/a", "/usr/lib/x86_64-linux-gnu/libc.so.6", "/.hidden", "/a/..b",
		"/proc2", "/devices/x",
	};
	static const char *const bad[] = {
		"", "/", "a", "/a/", "//a", "/a//b", "/a/./b", "/a/../b", "/..",
		"/.", "/proc", "/proc/self", "/sys/x", "/dev", "/dev/null",
	};

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		tap_ok(t, bp_job_path_ok(good[i]), "path %s is taken", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		tap_ok(t, !bp_job_path_ok(bad[i]), "path '%s' is refused", bad[i]);
}

static void test_manifest(struct tap *t)
{
	struct bp_job_entry e, *got = NULL, link = { .kind = BP_JOB_LINK,
		.mode = 0777, .path = "/lib64/ld-linux-x86-64.so.2",
		.target = "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" };
	struct bp_job_entry dir = { .kind = BP_JOB_DIR, .mode = 0755,
				    .path = "/opt/data" };
	struct bp_manifest m;
	uint8_t *buf = NULL, *buf2 = NULL;
	size_t len = 0, len2 = 0, n = 0;
	char why[256];
	int ret;

	bp_manifest_init(&m);
	e = file("/usr/bin/prog", 1234, 1);
	tap_ok(t, !bp_manifest_add(&m, &e), "add a file");
	tap_ok(t, !bp_manifest_add(&m, &link), "add a symlink");
	tap_ok(t, !bp_manifest_add(&m, &dir), "add a directory");
	e = file("/etc/ld.so.cache", 99, 2);
	tap_ok(t, !bp_manifest_add(&m, &e), "add another file");
	e = file("/usr/bin/prog", 1, 3);
	tap_ok(t, bp_manifest_add(&m, &e) == -EEXIST, "a path twice is -EEXIST");
	e = file("/usr/bin/suid", 1, 3);
	e.mode = 04755;
	tap_ok(t, bp_manifest_add(&m, &e) == -EINVAL, "a set-uid mode is -EINVAL");
	e = file("/proc/x", 1, 3);
	tap_ok(t, bp_manifest_add(&m, &e) == -EINVAL, "a path under /proc is -EINVAL");
	ret = bp_manifest_build(&m, &buf, &len);
	tap_ok(t, !ret && len > BP_MANIFEST_HDR_LEN, "build (%zu bytes)", len);
	ret = bp_manifest_parse(buf, len, &got, &n, why, sizeof(why));
	tap_ok(t, !ret && n == 4, "parse it back: %d, %zu entries", ret, n);
	if (!ret && n == 4) {
		tap_ok(t, !strcmp(got[0].path, "/etc/ld.so.cache") &&
		       !strcmp(got[1].path, "/lib64/ld-linux-x86-64.so.2") &&
		       !strcmp(got[2].path, "/opt/data") &&
		       !strcmp(got[3].path, "/usr/bin/prog"),
		       "entries sorted by path");
		tap_ok(t, got[1].kind == BP_JOB_LINK &&
		       !strcmp(got[1].target, link.target) &&
		       got[3].size == 1234 && got[3].hash[31] == 1 &&
		       got[3].mode == 0755 && got[2].kind == BP_JOB_DIR,
		       "fields survive");
	}
	free(got);
	/* Built twice, in another order: the same bytes (the same hash). */
	bp_manifest_free(&m);
	bp_manifest_init(&m);
	e = file("/etc/ld.so.cache", 99, 2);
	bp_manifest_add(&m, &e);
	bp_manifest_add(&m, &dir);
	e = file("/usr/bin/prog", 1234, 1);
	bp_manifest_add(&m, &e);
	bp_manifest_add(&m, &link);
	ret = bp_manifest_build(&m, &buf2, &len2);
	tap_ok(t, !ret && len2 == len && !memcmp(buf, buf2, len),
	       "the bytes do not depend on the order of adding");
	bp_manifest_free(&m);

	/* Every truncation, and some corruptions, are refused. */
	ret = 0;
	for (size_t k = 0; k < len; k++)
		if (bp_manifest_parse(buf, k, &got, &n, NULL, 0) != -EBADMSG)
			ret = 1;
	tap_ok(t, !ret, "every truncated manifest is refused");
	memcpy(buf2, buf, len);
	buf2[BP_MANIFEST_HDR_LEN + 1] = 1;	/* padding of entry 0 */
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "padding refused (%s)", why);
	memcpy(buf2, buf, len);
	/* entry 0's path offset: past the strings */
	buf2[BP_MANIFEST_HDR_LEN + 48] = 0xf0;
	buf2[BP_MANIFEST_HDR_LEN + 49] = 0xff;
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "an offset outside the strings refused (%s)", why);
	memcpy(buf2, buf, len);
	/* swap the path offsets of entries 0 and 3: not sorted */
	memcpy(buf2 + BP_MANIFEST_HDR_LEN + 48,
	       buf + BP_MANIFEST_HDR_LEN + 3 * BP_MANIFEST_ENTRY_LEN + 48, 4);
	memcpy(buf2 + BP_MANIFEST_HDR_LEN + 3 * BP_MANIFEST_ENTRY_LEN + 48,
	       buf + BP_MANIFEST_HDR_LEN + 48, 4);
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "unsorted entries refused (%s)", why);
	memcpy(buf2, buf, len);
	buf2[BP_MANIFEST_HDR_LEN + 4] = 0x00;	/* mode 0755 -> 04755 */
	buf2[BP_MANIFEST_HDR_LEN + 5] = 0x09;
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "a set-id mode refused (%s)", why);
	memcpy(buf2, buf, len);
	buf2[0] ^= 1;
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "bad magic refused (%s)", why);
	memcpy(buf2, buf, len);
	buf2[len - 1] = 'x';
	tap_ok(t, bp_manifest_parse(buf2, len, &got, &n, why, sizeof(why)) == -EBADMSG,
	       "strings without their final NUL refused (%s)", why);
	free(buf);
	free(buf2);
}

static void test_job_tree(struct tap *t)
{
	struct bp_job_tree in = { .src_addr = { 10, 42, 0, 103 },
		.src_port = BP_SEED_PORT, .src_node = 3 }, out;
	uint8_t buf[BP_JOB_SIZE_TREE] = { 0 };

	bp_job_tree_encode(&in, (struct bp_job_tree *)(buf + BPROC_JOB_SIZE_VER0));
	tap_ok(t, !bp_job_tree_decode(buf, sizeof(buf), &out) &&
	       !memcmp(&in, &out, sizeof(in)), "tree: decode gives it back");
	tap_ok(t, !bp_job_tree_decode(buf, BPROC_JOB_SIZE_VER0, &out) &&
	       !out.src_port && out.src_node == 0,
	       "tree: a job without it has none (fetch from bpsh)");
	buf[BPROC_JOB_SIZE_VER0 + 6] = 2;
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree: unknown flags refused");
	buf[BPROC_JOB_SIZE_VER0 + 6] = BP_JOB_TREE_IO;
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree: streams through the tree in a job too short for its shape refused");
	buf[BPROC_JOB_SIZE_VER0 + 6] = 0;
	in.src_port = 0;
	bp_job_tree_encode(&in, (struct bp_job_tree *)(buf + BPROC_JOB_SIZE_VER0));
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree: an address without a port refused");
	in.src_port = 1;
	in.src_node = BPROC_NODES_MAX;
	bp_job_tree_encode(&in, (struct bp_job_tree *)(buf + BPROC_JOB_SIZE_VER0));
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree: a node number out of range refused");
}

static void test_job_tree_io(struct tap *t)
{
	struct bp_job_tree in = { .src_addr = { 10, 42, 0, 9 },
		.src_port = BP_SEED_PORT, .src_node = 7, .flags = BP_JOB_TREE_IO,
		.nranks = 64, .fanout = 8 }, out;
	uint8_t buf[BP_JOB_SIZE_TREE_IO] = { 0 };
	struct bp_job_tree *w = (struct bp_job_tree *)(buf + BPROC_JOB_SIZE_VER0);

	bp_job_tree_encode(&in, w);
	tap_ok(t, !bp_job_tree_decode(buf, sizeof(buf), &out) &&
	       !memcmp(&in, &out, sizeof(in)), "tree io: decode gives it back");
	in.fanout = 0;
	bp_job_tree_encode(&in, w);
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree io: a fanout of 0 refused");
	in.fanout = BP_IO_FANOUT_MAX + 1;
	bp_job_tree_encode(&in, w);
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree io: a fanout over the limit refused");
	in.fanout = 8;
	in.nranks = 0;
	bp_job_tree_encode(&in, w);
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree io: no ranks refused");
	in.nranks = 64;
	in.flags = 0;
	bp_job_tree_encode(&in, w);
	tap_ok(t, bp_job_tree_decode(buf, sizeof(buf), &out) == -EBADMSG,
	       "tree io: a shape without the flag refused");
	tap_ok(t, bp_tree_parent(0, 8) == -1 && bp_tree_parent(7, 8) == -1 &&
	       bp_tree_parent(8, 8) == 0 && bp_tree_parent(15, 8) == 0 &&
	       bp_tree_parent(16, 8) == 1 && bp_tree_parent(71, 8) == 7 &&
	       bp_tree_parent(72, 8) == 8, "tree: parents of the heap");
	tap_ok(t, bp_tree_below(0, 0, 8) && bp_tree_below(0, 8, 8) &&
	       bp_tree_below(0, 72, 8) && !bp_tree_below(1, 72, 8) &&
	       !bp_tree_below(8, 3, 8), "tree: below");
	tap_ok(t, bp_tree_child_toward(0, 72, 8) == 8 &&
	       bp_tree_child_toward(8, 72, 8) == 72 &&
	       bp_tree_child_toward(1, 72, 8) == -1 &&
	       bp_tree_child_toward(5, 5, 8) == -1, "tree: the child toward a rank");
	tap_ok(t, bp_io_window(1) == (4u << 20) && bp_io_window(8) == (2u << 20) &&
	       bp_io_window(64) == (256u << 10) &&
	       bp_io_window(1u << 20) == (16u << 10), "io window: 16 MiB shared, bounded");
}

static void test_job(struct tap *t)
{
	struct bproc_job in = { .size = sizeof(in),
		.flags = BPROC_JOB_STDIN | BPROC_JOB_STDOUT | BPROC_JOB_FILES,
		.id = 0x1122334455667788ull, .rank = 5, .io_port = 40000,
		.manifest_len = 4096 }, wire, out, bad;
	uint8_t big[BPROC_JOB_MAX + 8] = { 0 };

	_Static_assert(sizeof(struct bproc_job) == BPROC_JOB_SIZE_VER0, "job");
	strcpy(in.stderr_path, "/tmp/err");
	bp_job_encode(&in, &wire);
	tap_ok(t, le32toh(wire.size) == sizeof(in) && le64toh(wire.id) == in.id,
	       "encoded little-endian");
	tap_ok(t, !bp_job_decode(&wire, sizeof(wire), &out) &&
	       !memcmp(&in, &out, sizeof(in)), "decode gives it back");
	tap_ok(t, bp_job_decode(&wire, sizeof(wire) - 1, &out) == -EBADMSG,
	       "shorter than the struct: refused");
	memcpy(big, &wire, sizeof(wire));
	tap_ok(t, bp_job_decode(big, sizeof(wire) + 8, &out) == -EBADMSG,
	       "a length its size field does not say: refused");
	((struct bproc_job *)big)->size = htole32(sizeof(wire) + 8);
	tap_ok(t, !bp_job_decode(big, sizeof(wire) + 8, &out),
	       "a later, longer job with its size: taken");
	bad = in;
	bad.flags |= 1u << 7;
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "unknown flag refused");
	bad = in;
	bad.io_port = 0;
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "port 0 refused");
	bad = in;
	strcpy(bad.stdout_path, "/tmp/out");
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "stdout both to bpsh and to a file: refused");
	bad = in;
	strcpy(bad.stderr_path, "rel/path");
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "a relative -E path refused");
	bad = in;
	memset(bad.stderr_path, 'x', sizeof(bad.stderr_path));
	bad.stderr_path[0] = '/';
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "a path without its NUL refused");
	bad = in;
	bad.manifest_len = 3;
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "a manifest shorter than its header refused");
	bad = in;
	bad.io_family = 2;
	bad.io_addr[5] = 1;
	bp_job_encode(&bad, &wire);
	tap_ok(t, bp_job_decode(&wire, sizeof(wire), &out) == -EBADMSG,
	       "bytes past an IPv4 address refused");
}

static void test_io(struct tap *t)
{
	uint8_t secret[BPROC_JOB_SECRET_LEN], nonce[BP_IO_NONCE_LEN], mac[32];
	static uint8_t buf[BP_FILE_CHUNK + 256], data[BP_FILE_CHUNK];
	struct bp_msg m = { .type = BP_MSG_IO_HELLO }, out;
	char hex[65];
	ssize_t n;

	for (int i = 0; i < 32; i++)
		secret[i] = (uint8_t)i;
	for (int i = 0; i < 16; i++)
		nonce[i] = (uint8_t)(100 + i);
	bp_io_mac(secret, 0x1122334455667788ull, 7, 1, nonce, mac);
	bp_hex(mac, 32, hex);
	/* Python: hmac.new(secret, b"bproc-io-1" + pack("<QII", id, 7, 1) + nonce, sha256) */
	tap_ok(t, !strcmp(hex, "082e87778118a9d962d9f0469d85182d512a86ca274b9e11c5286ea1ff1cc41f"),
	       "IO_HELLO mac: %s", hex);

	m.io_hello.stream = BP_IO_STDOUT;
	m.io_hello.rank = 7;
	m.io_hello.job = 42;
	memcpy(m.io_hello.nonce, nonce, sizeof(nonce));
	memcpy(m.io_hello.mac, mac, sizeof(mac));
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 64 && !bp_wire_decode(buf, (size_t)n, &out) &&
	       !memcmp(&out.io_hello, &m.io_hello, sizeof(m.io_hello)),
	       "IO_HELLO round trip (%zd bytes)", n);
	m.io_hello.stream = BP_IO_NSTREAMS;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "an unknown stream is not encoded");

	memset(&m, 0, sizeof(m));
	m.type = BP_MSG_FILE_DATA;
	memset(m.file.hash, 9, 32);
	m.file.offset = 1u << 20;
	m.file.len = BP_FILE_CHUNK;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 31);
	m.file.data = data;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 48 + BP_FILE_CHUNK &&
	       !bp_wire_decode(buf, (size_t)n, &out) &&
	       out.file.len == BP_FILE_CHUNK && out.file.offset == 1u << 20 &&
	       !memcmp(out.file.data, data, sizeof(data)),
	       "FILE_DATA of a whole chunk round trip");
	m.file.len = BP_FILE_CHUNK + 1;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "FILE_DATA over a chunk is not encoded");
	memset(&m, 0, sizeof(m));
	m.type = BP_MSG_FILE_END;
	m.file.offset = 123;
	m.file.error = ENOENT;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n > 0 && !bp_wire_decode(buf, (size_t)n, &out) &&
	       out.file.error == ENOENT && out.file.offset == 123,
	       "FILE_END with an error round trip");
	m.type = BP_MSG_FILE_WANT;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "FILE_WANT carries no error");
	tap_ok(t, !strcmp(bp_wire_type_name(BP_MSG_IO_HELLO), "IO_HELLO") &&
	       bp_wire_type_dir(BP_MSG_FILE_DATA) == BP_DIR_TO_NODE,
	       "names and directions");

	memset(&m, 0, sizeof(m));
	m.type = BP_MSG_IO_DATA;
	m.io.rank = 63;
	m.io.stream = BP_IO_STDERR;
	m.io.offset = 5ull << 32;
	m.io.flags = BP_IO_F_EOF;
	m.io.len = BP_IO_CHUNK;
	m.io.data = data;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 24 + BP_IO_CHUNK &&
	       !bp_wire_decode(buf, (size_t)n, &out) && out.io.rank == 63 &&
	       out.io.stream == BP_IO_STDERR && out.io.offset == 5ull << 32 &&
	       out.io.flags == BP_IO_F_EOF && out.io.len == BP_IO_CHUNK &&
	       !memcmp(out.io.data, data, BP_IO_CHUNK),
	       "IO_DATA of a whole chunk round trip");
	m.io.len = BP_IO_CHUNK + 1;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_DATA over a chunk is not encoded");
	m.io.len = 10;
	m.io.flags = BP_IO_F_GAP;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_DATA with an ack's flag is not encoded");
	m.io.flags = 0;
	m.io.stream = BP_IO_FILES;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_DATA of the files stream is not encoded");
	m.io.stream = BP_IO_STDOUT;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	buf[BP_WIRE_HDR_LEN + 4] = BP_IO_TREE;	/* the stream */
	tap_ok(t, n > 0 && bp_wire_decode(buf, (size_t)n, &out) == -EBADMSG,
	       "IO_DATA of a stream that carries no bytes refused");
	buf[BP_WIRE_HDR_LEN + 4] = BP_IO_STDOUT;
	buf[BP_WIRE_HDR_LEN + 20] = 11;	/* len past the payload */
	tap_ok(t, bp_wire_decode(buf, (size_t)n, &out) == -EBADMSG,
	       "IO_DATA longer than its message refused");
	buf[BP_WIRE_HDR_LEN + 20] = 10;
	memset(buf + BP_WIRE_HDR_LEN + 8, 0xff, 8);	/* offset + len wraps */
	tap_ok(t, bp_wire_decode(buf, (size_t)n, &out) == -EBADMSG,
	       "IO_DATA whose end wraps around refused");

	memset(&m, 0, sizeof(m));
	m.type = BP_MSG_IO_ACK;
	m.io.rank = 3;
	m.io.offset = 77;
	m.io.flags = BP_IO_F_HELLO | BP_IO_F_GAP;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 24 && !bp_wire_decode(buf, (size_t)n, &out) &&
	       out.io.rank == 3 && out.io.offset == 77 &&
	       out.io.flags == (BP_IO_F_HELLO | BP_IO_F_GAP),
	       "IO_ACK round trip");
	m.io.rank = BP_IO_RANK_ALL;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_ACK is of one rank");
	m.io.rank = 3;
	m.io.flags = 0x10;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_ACK with an unknown flag is not encoded");
	memset(&m, 0, sizeof(m));
	m.type = BP_MSG_IO_RESEND;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 24 && !bp_wire_decode(buf, (size_t)n, &out) &&
	       out.type == BP_MSG_IO_RESEND, "IO_RESEND round trip");
	buf[BP_WIRE_HDR_LEN] = 1;
	tap_ok(t, bp_wire_decode(buf, (size_t)n, &out) == -EBADMSG,
	       "IO_RESEND with a field set refused");
	m.type = BP_MSG_IO_ALIVE;
	n = bp_wire_encode(&m, buf, sizeof(buf));
	tap_ok(t, n == BP_WIRE_HDR_LEN + 24 && !bp_wire_decode(buf, (size_t)n, &out) &&
	       out.type == BP_MSG_IO_ALIVE, "IO_ALIVE round trip");
	m.io.offset = 1;
	tap_ok(t, bp_wire_encode(&m, buf, sizeof(buf)) == -EINVAL,
	       "IO_ALIVE carries nothing");
}

int main(void)
{
	struct tap t = { 0 };

	test_paths(&t);
	test_manifest(&t);
	test_job(&t);
	test_job_tree(&t);
	test_job_tree_io(&t);
	test_io(&t);
	return tap_done(&t);
}
