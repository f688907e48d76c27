// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of the wire fuzz target: one file per message
 * type plus a stream of all of them. Usage: gen_corpus DIR
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bp_wire.h"

/* Seeds: one of each node/master message (0-7), then process messages. */
#define NSEEDS	15

static int write_file(const char *dir, const char *name, const void *buf,
		      size_t len)
{
	char path[4096];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, buf, len) != (ssize_t)len) {
		close(fd);
		return -EIO;
	}
	return close(fd) ? -errno : 0;
}

int main(int argc, char **argv)
{
	static const char strs[] = "/\0/bin/sh\0sh\0-c\0echo $$ $PPID\0PATH=/bin";
	static struct bp_msg m[NSEEDS];
	static uint8_t stream[16 * BP_WIRE_ENC_MAX + BP_PROC_EXEC_LEN];
	const char *names[NSEEDS] = { NULL };
	size_t slen = 0;
	int ret;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_corpus DIR\n");
		return 1;
	}
	memset(m, 0, sizeof(m));
	m[0].type = BP_MSG_HELLO;
	m[0].hello.cpus = 2;
	m[0].hello.mem_total = 512ull << 20;
	m[0].hello.boot_time = 1732250000000000000ull;
	m[0].hello.hwaddr_len = 6;
	memcpy(m[0].hello.hwaddr, "\x52\x54\x00\x12\x34\x56", 6);
	strcpy(m[0].hello.kernel, "6.12.117-bproc");
	strcpy(m[0].hello.modver, "1.0");
	m[1].type = BP_MSG_WELCOME;
	m[1].welcome.node = 3;
	m[1].welcome.ping_interval = 5000;
	m[1].welcome.ping_timeout = 30000;
	m[2].type = BP_MSG_REJECT;
	m[2].reason.code = BP_REASON_RANGE;
	strcpy(m[2].reason.text, "10.0.0.9 is not in any iprange");
	m[3].type = BP_MSG_STATUS;
	m[3].status.load[0] = 100;
	m[3].status.mem_free = 400ull << 20;
	m[3].status.uptime = 60000000000ull;
	m[4].type = BP_MSG_PING;
	m[4].id = 7;
	m[4].ping.time = 1;
	m[5].type = BP_MSG_PONG;
	m[5].id = 7;
	m[5].ping.time = 1;
	m[6].type = BP_MSG_REQUEST;
	m[6].request.action = BP_ACTION_REBOOT;
	m[7].type = BP_MSG_BYE;
	m[7].reason.code = BP_REASON_SHUTDOWN;
	strcpy(m[7].reason.text, "master exiting");
	for (int i = 8; i < NSEEDS; i++) {
		m[i].type = BP_MSG_PROC;
		m[i].proc.hdr.node = 1;
		m[i].proc.hdr.pid = 300;
		m[i].proc.hdr.id = 9;
	}
	names[8] = "PROC-REXEC.bin";
	m[8].proc.hdr.type = BPROC_MSG_REXEC;
	m[8].proc.rexec.ppid = 299;
	m[8].proc.rexec.uid = m[8].proc.rexec.euid = 1000;
	m[8].proc.rexec.gid = m[8].proc.rexec.egid = 100;
	m[8].proc.rexec.ngroups = 1;
	m[8].proc.gids[0] = 100;
	m[8].proc.rexec.argc = 3;
	m[8].proc.rexec.envc = 1;
	m[8].proc.rexec.cwd_len = 2;
	m[8].proc.rexec.buf_len = sizeof(strs) - 2;
	m[8].proc.strs = strs;
	m[8].proc.rexec.suid = m[8].proc.rexec.fsuid = 1000;
	m[8].proc.rexec.sgid = m[8].proc.rexec.fsgid = 100;
	m[8].proc.rexec.umask = 022;
	m[8].proc.rexec.cap_bset = (1ull << 41) - 1;
	for (int i = 0; i < BPROC_RLIMITS; i++)
		m[8].proc.rexec.rlim[i].cur = m[8].proc.rexec.rlim[i].max = ~0ull;
	names[9] = "PROC-SIGNAL.bin";
	m[9].proc.hdr.type = BPROC_MSG_SIGNAL;
	m[9].proc.signal.size = sizeof(m[9].proc.signal);
	m[9].proc.signal.pid = 300;
	m[9].proc.signal.signo = 15;
	m[9].proc.signal.siginfo[0] = 15;
	names[10] = "PROC-PSTATUS.bin";
	m[10].proc.hdr.type = BPROC_MSG_PSTATUS;
	m[10].proc.pstatus.state = 'R';
	m[10].proc.pstatus.threads = 1;
	m[10].proc.pstatus.rss = 4096;
	names[11] = "PROC-EXIT.bin";
	m[11].proc.hdr.type = BPROC_MSG_EXIT;
	m[11].proc.exit.status = 9;
	names[12] = "PROC-FORK.bin";
	m[12].proc.hdr.type = BPROC_MSG_FORK;
	m[12].proc.hdr.pid = 301;
	m[12].proc.fork.ppid = 300;
	m[12].proc.fork.node_pid = 45;
	names[13] = "PROC-PIDS.bin";
	m[13].proc.hdr.type = BPROC_MSG_PIDS;
	m[13].proc.hdr.pid = 0;		/* a lease is about no process */
	m[13].proc.pids.count = 2;
	m[13].proc.pids.pids[0] = 302;
	m[13].proc.pids.pids[1] = 303;
	names[14] = "PROC-EXEC.bin";
	m[14].proc.hdr.type = BPROC_MSG_EXEC;
	strcpy(m[14].proc.exec.comm, "sleep");
	m[14].proc.exec.argc = 2;
	m[14].proc.exec.len = sizeof("sleep\0" "60");
	memcpy(m[14].proc.exec.args, "sleep\0" "60", sizeof("sleep\0" "60"));
	for (int i = 8; i < NSEEDS; i++)
		m[i].proc.hdr.size = (uint32_t)bp_proc_size(&m[i].proc);

	for (int i = 0; i < NSEEDS; i++) {
		static uint8_t buf[BP_WIRE_ENC_MAX + BP_PROC_EXEC_LEN];
		ssize_t n = bp_wire_encode(&m[i], buf, sizeof(buf));
		char name[32];

		if (n < 0) {
			fprintf(stderr, "gen_corpus: encode: %s\n", strerror((int)-n));
			return 1;
		}
		snprintf(name, sizeof(name), "%s.bin",
			 bp_wire_type_name(m[i].type));
		if (names[i])
			snprintf(name, sizeof(name), "%s", names[i]);
		ret = write_file(argv[1], name, buf, (size_t)n);
		if (ret) {
			fprintf(stderr, "gen_corpus: %s/%s: %s\n", argv[1], name,
				strerror(-ret));
			return 1;
		}
		memcpy(stream + slen, buf, (size_t)n);
		slen += (size_t)n;
	}
	ret = write_file(argv[1], "stream.bin", stream, slen);
	if (ret) {
		fprintf(stderr, "gen_corpus: %s/stream.bin: %s\n", argv[1],
			strerror(-ret));
		return 1;
	}
	return 0;
}
