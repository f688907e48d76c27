// SPDX-License-Identifier: GPL-2.0
/*
 * bproc kernel fuzzer (issue 10, point 7; docs/security.md): random
 * sequences into the module's master file, as a hostile bpmaster or a
 * node's forged traffic would reach it, for a bounded time. Run in a
 * harness VM without nodes (make fuzz-kernel; a short run in the module
 * suite, so make check-debug runs it under KASAN, lockdep and kmemleak).
 *
 * It takes the master role for a small table, then, from a seeded PRNG,
 * mixes: children that call BPROC_IOC_REXEC (ghosts in the making),
 * reads of the module's queue (remembering REXEC ids, pids and leased
 * numbers), node messages of every type written back (well-formed,
 * answering a real REXEC or pid, or mutated: sizes, nodes, pids, flags,
 * payload bytes), node-table changes (states that end a node's
 * processes), other ioctls, signals to the children (which the module
 * forwards), and reaping. Structure-aware random, not coverage-guided:
 * the module has no kcov harness. The kernel log is checked afterwards.
 *
 *   kfuzz [SECONDS [SEED]]     prints "kfuzz: N execs in S s (R/s), seed X"
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <linux/bproc.h>

#define NODES		4
#define MAX_KIDS	24
#define MAX_SEEN	256

static uint64_t rng_state;

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_state = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static uint32_t below(uint32_t n)
{
	return n ? (uint32_t)(rnd() % n) : 0;
}

static bool chance(unsigned int pct)
{
	return below(100) < pct;
}

static const struct bproc_msg_kind kinds[BPROC_MSG_NTYPES] = BPROC_MSG_KINDS;

struct seen {
	int32_t pid;
	int32_t node;
	uint64_t id;
};

static pid_t kids[MAX_KIDS];
static int nkids;
static struct seen seen[MAX_SEEN];	/* REXECs read from the queue */
static int nseen;
static int32_t leased[MAX_SEEN];	/* numbers from PIDS */
static int nleased;
static uint64_t execs, nops[16], writes_ok, reads_ok, spawned;

static uint64_t seed_used;

/* A wait that never ends is a finding too: say so, with the seed. */
static void stuck(int sig)
{
	char msg[96];
	int n;

	(void)sig;
	n = snprintf(msg, sizeof(msg),
			 "kfuzz: stuck after %llu execs, seed 0x%llx\n",
			 (unsigned long long)execs, (unsigned long long)seed_used);

	write(2, msg, (size_t)n);
	_exit(2);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void node_set(int fd, int node, uint32_t state)
{
	struct bproc_node_info ni;

	memset(&ni, 0, sizeof(ni));
	ni.size = sizeof(ni);
	ni.node = node;
	ni.state = state;
	ni.mode = chance(80) ? 0111 : below(01000);
	ni.addr_family = AF_INET;
	ni.addr[0] = 10;
	ni.addr[3] = (uint8_t)(node + 1);
	ni.cpus = 1;
	ni.mem_total = 1 << 30;
	if (chance(5))
		ni.__pad0 = 1;		/* refused */
	if (chance(5))
		ni.addr_family = (uint16_t)below(20);
	ioctl(fd, BPROC_IOC_NODE_SET, &ni);
}

/* A child that becomes a ghost on a random node (or fails to). */
static void spawn(int master_fd)
{
	static const char buf[] = "/bin/true\0true\0X=1";
	struct bproc_rexec r;
	pid_t pid;
	int fd;

	if (nkids == MAX_KIDS)
		return;
	pid = fork();
	if (pid < 0)
		return;
	if (pid == 0) {
		close(master_fd);
		fd = open("/dev/bproc", O_RDWR);
		memset(&r, 0, sizeof(r));
		r.size = sizeof(r);
		r.node = chance(90) ? (int32_t)below(NODES) : (int32_t)rnd();
		r.argc = 1;
		r.envc = chance(80) ? 1 : (uint32_t)below(4);
		r.buf_len = sizeof(buf);
		r.buf = (uintptr_t)buf;
		ioctl(fd, BPROC_IOC_REXEC, &r);
		_exit(100 + (errno & 63));
	}
	kids[nkids++] = pid;
	spawned++;
}

/* Read what the module queued; remember REXECs and leased numbers. */
static void drain(int fd)
{
	static uint8_t buf[BPROC_MSG_MAX];
	struct bproc_msg_hdr *h = (struct bproc_msg_hdr *)buf;
	ssize_t n;

	for (int i = 0; i < 8; i++) {
		n = read(fd, buf, chance(3) ? below(64) : sizeof(buf));
		if (n < (ssize_t)sizeof(*h))
			return;
		reads_ok++;
		if (h->type == BPROC_MSG_REXEC) {
			struct seen *s = &seen[nseen < MAX_SEEN ? nseen++ : (int)below(MAX_SEEN)];

			s->pid = h->pid;
			s->node = h->node;
			s->id = h->id;
		} else if (h->type == BPROC_MSG_PIDS) {
			const struct bproc_msg_pids *p = (const void *)(h + 1);

			for (uint32_t k = 0; k < p->count && k < BPROC_PIDS_MAX; k++)
				leased[nleased < MAX_SEEN ? nleased++ : (int)below(MAX_SEEN)] =
					p->pids[k];
		}
	}
}

static int32_t some_pid(void)
{
	if (nseen && chance(60))
		return seen[below(nseen)].pid;
	if (nleased && chance(50))
		return leased[below(nleased)];
	if (nkids && chance(50))
		return kids[below(nkids)];
	return chance(50) ? (int32_t)below(40000) : (int32_t)rnd();
}

/* One node message: well-formed for a known process, or mutated. */
static void node_message(int fd)
{
	static const uint16_t types[] = {	/* the ones that matter, twice */
		BPROC_MSG_REXEC_RESULT, BPROC_MSG_REXEC_RESULT,
		BPROC_MSG_REXEC_RESULT, BPROC_MSG_PSTATUS, BPROC_MSG_STOP,
		BPROC_MSG_CONT, BPROC_MSG_EXIT, BPROC_MSG_EXIT,
		BPROC_MSG_PIDS_WANT, BPROC_MSG_PIDS_FREE, BPROC_MSG_FORK,
		BPROC_MSG_FORK, BPROC_MSG_EXEC,
	};
	static uint8_t buf[BPROC_MSG_MAX];
	struct bproc_msg_hdr *h = (struct bproc_msg_hdr *)buf;
	uint8_t *p = buf + sizeof(*h);
	/* mostly a recent REXEC: older ones are answered or gone */
	struct seen *s = !nseen ? NULL : chance(80) ?
		&seen[nseen - 1 - (int)below(nseen < 4 ? nseen : 4)] :
		&seen[below(nseen)];
	bool mutate = chance(30);
	uint32_t size;
	uint16_t type;

	type = chance(95) ? types[below(sizeof(types) / sizeof(types[0]))] :
			    (uint16_t)below(BPROC_MSG_NTYPES + 4);
	size = type < BPROC_MSG_NTYPES ? kinds[type].size : below(512);
	memset(buf, 0, sizeof(*h) + size + 8);
	for (uint32_t i = 0; mutate && i < size; i++)
		if (chance(10))
			p[i] = (uint8_t)rnd();
	h->type = type;
	h->size = (uint32_t)sizeof(*h) + size;
	h->node = s && chance(80) ? s->node : (chance(80) ? (int32_t)below(NODES) :
						     (int32_t)rnd());
	h->pid = s && chance(70) ? s->pid : some_pid();
	h->id = s && chance(70) ? s->id : rnd();
	switch (type) {
	case BPROC_MSG_REXEC_RESULT:
		*(int32_t *)p = chance(70) ? 0 : (int32_t)below(200) - 20;
		break;
	case BPROC_MSG_STOP:
		*(int32_t *)p = chance(80) ? SIGSTOP : (int32_t)below(70);
		break;
	case BPROC_MSG_EXIT: {
		struct bproc_msg_exit *e = (void *)p;

		e->status = chance(50) ? (int32_t)(below(256) << 8) :
			    chance(50) ? (int32_t)below(65) : (int32_t)rnd();
		if (chance(80))
			e->__pad = 0;
		break;
	}
	case BPROC_MSG_PIDS_WANT:
		*(uint32_t *)p = chance(80) ? 1 + below(BPROC_PIDS_MAX) : (uint32_t)rnd();
		break;
	case BPROC_MSG_PIDS_FREE: {
		struct bproc_msg_pids *f = (void *)p;

		f->count = chance(80) ? below(BPROC_PIDS_MAX + 1) : (uint32_t)rnd();
		for (uint32_t k = 0; k < BPROC_PIDS_MAX; k++)
			f->pids[k] = k < f->count ? some_pid() : 0;
		break;
	}
	case BPROC_MSG_FORK: {
		struct bproc_msg_fork *f = (void *)p;

		f->ppid = s ? s->pid : some_pid();
		f->node_pid = (int32_t)below(5000);
		if (nleased && chance(70))
			h->pid = leased[below(nleased)];
		break;
	}
	default:
		break;
	}
	if (mutate && chance(15))
		h->flags = (uint16_t)rnd();
	if (mutate && chance(15))
		h->size += (uint32_t)below(16) - 8;
	if (write(fd, buf, chance(95) ? h->size : below(sizeof(*h) + size + 8)) > 0)
		writes_ok++;
}

static void other_ioctl(int fd)
{
	union {
		struct bproc_node_info ni;
		struct bproc_signal sg;
		struct bproc_masq mq;
		struct bproc_master_cfg mc;
		uint8_t raw[1024];	/* more than any size below: the module */
	} u;				/* zero-fills up to the size given */
	static const unsigned long cmds[] = {
		BPROC_IOC_VERSION, BPROC_IOC_NODE_GET, BPROC_IOC_NODE_COUNT,
		BPROC_IOC_SLAVE_GET, BPROC_IOC_CURRNODE, BPROC_IOC_SIGNAL,
		BPROC_IOC_MASQ, BPROC_IOC_MASTER, BPROC_IOC_SLAVE,
		/* answers nobody waits for (NODE_CTL itself would sleep) */
		BPROC_IOC_NODE_CTL_DONE,
	};

	for (size_t i = 0; i < sizeof(u.raw); i++)
		u.raw[i] = chance(20) ? (uint8_t)rnd() : 0;
	u.ni.size = chance(80) ? sizeof(u.ni) : below(sizeof(u.raw));
	u.ni.node = (int32_t)below(NODES + 2) - 1;
	ioctl(fd, cmds[below(sizeof(cmds) / sizeof(cmds[0]))], &u);
}

static void signal_kid(void)
{
	const int sigs[] = { SIGTERM, SIGINT, SIGUSR1, SIGWINCH, SIGSTOP,
			     SIGCONT, SIGKILL, SIGRTMIN, SIGRTMIN + 3 };

	if (!nkids)
		return;
	kill(kids[below(nkids)], sigs[below(sizeof(sigs) / sizeof(sigs[0]))]);
}

static void reap(void)
{
	pid_t pid;

	while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
		for (int i = 0; i < nkids; i++)
			if (kids[i] == pid) {
				kids[i] = kids[--nkids];
				break;
			}
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 10, t0, t;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) :
			(uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
	struct bproc_master_cfg mc = { .size = sizeof(mc), .nodes = NODES };
	int fd;

	rng_state = seed ? seed : 1;
	seed_used = rng_state;
	fprintf(stderr, "kfuzz: %.0f s, seed 0x%llx\n", secs,
		(unsigned long long)rng_state);
	signal(SIGALRM, stuck);
	alarm((unsigned int)secs + 60);
	fd = open("/dev/bproc", O_RDWR | O_NONBLOCK);
	if (fd < 0 || ioctl(fd, BPROC_IOC_MASTER, &mc)) {
		perror("kfuzz: /dev/bproc master role");
		return 1;
	}
	for (int n = 0; n < NODES; n++)
		node_set(fd, n, BPROC_NODE_UP);
	t0 = now();
	do {
		unsigned int op = below(16);

		nops[op]++;
		switch (op) {
		case 0:
		case 1:
			spawn(fd);
			break;
		case 2:
		case 3:
		case 4:
			drain(fd);
			break;
		case 5:
		case 6:
		case 7:
		case 8:
		case 9:
			node_message(fd);
			break;
		case 10:
			node_set(fd, (int)below(NODES + 1), chance(70) ? BPROC_NODE_UP :
				 below(BPROC_NODE_NSTATES + 2));
			break;
		case 11:
			other_ioctl(fd);
			break;
		case 12:
		case 13:
			signal_kid();
			break;
		default:
			reap();
			break;
		}
		execs++;
		t = now();
	} while (t - t0 < secs);

	/* The master's file closes: every node down, every ghost ends. */
	for (int i = 0; i < nkids; i++)
		kill(kids[i], SIGKILL);
	close(fd);
	while (waitpid(-1, NULL, 0) > 0)
		;
	printf("kfuzz: %llu execs in %.1f s (%.0f/s), seed 0x%llx: %llu REXEC children, %llu messages read, %llu accepted\n",
	       (unsigned long long)execs, t - t0, execs / (t - t0),
	       (unsigned long long)seed, (unsigned long long)spawned,
	       (unsigned long long)reads_ok, (unsigned long long)writes_ok);
	return 0;
}
