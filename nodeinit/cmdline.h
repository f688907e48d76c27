/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Kernel command line options of nodeinit (pure parsing, host-tested).
 *
 *   bproc.master=ADDR[:PORT]  master to connect to: IPv4, or IPv6 in
 *                             brackets; PORT defaults to 2223
 *   bproc.probe               print "bproc-probe: ok" and power off
 *   bproc.nomodule            do not load /lib/modules/bproc.ko
 *   bproc.debug               verbose log; bpslave --verbose
 *   bproc.shell               supervised /bin/sh on the console
 *   bproc.pid_max=N           set kernel.pid_max before anything runs
 *   bproc.vnodes=N            also run N virtual nodes (1..NI_VNODES_MAX):
 *                             each a bpslave in its own network namespace
 *                             on a macvlan of the boot interface
 *
 * Flags also take a value: 1/y/yes/on or 0/n/no/off. Words that do not
 * start with "bproc." belong to the kernel and are ignored. The last
 * occurrence of an option wins, as for kernel parameters.
 */
#ifndef NODEINIT_CMDLINE_H
#define NODEINIT_CMDLINE_H

#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* "[" + 45 characters of IPv6 + "]:" + 5 digits + NUL fits in 64. */
#define NI_MASTER_LEN		64
#define NI_PROBLEM_TOKEN_LEN	64
#define NI_MAX_PROBLEMS		8

/* Range the kernel accepts for kernel.pid_max on 64-bit. */
#define NI_PID_MAX_MIN		301
#define NI_PID_MAX_MAX		4194304

/* Virtual nodes per node kernel (MAC byte 2 is the vnode's index). */
#define NI_VNODES_MAX		128

/* One option that could not be used; token is the word, truncated. */
struct ni_problem {
	char token[NI_PROBLEM_TOKEN_LEN];
	const char *why;		/* static string */
};

struct ni_cmdline {
	bool has_master;
	int master_family;		/* AF_INET or AF_INET6 */
	union {
		struct in_addr v4;
		struct in6_addr v6;
	} master_addr;
	uint16_t master_port;
	char master[NI_MASTER_LEN];	/* canonical ADDR:PORT or [ADDR]:PORT */
	bool probe;
	bool nomodule;
	bool debug;
	bool shell;
	unsigned int pid_max;		/* 0: leave the kernel's value */
	unsigned int vnodes;		/* virtual nodes besides this one */
	unsigned int nproblems;		/* all problems, even past the array */
	struct ni_problem problems[NI_MAX_PROBLEMS];
};

/*
 * Parse a kernel command line (the text of /proc/cmdline) into @cl.
 * Words are split on white space; double quotes group words as the
 * kernel's own parser does. Returns 0, or -EINVAL when at least one
 * bproc.* option was unusable: those are listed in cl->problems and
 * everything else is still filled in.
 */
int ni_cmdline_parse(const char *text, struct ni_cmdline *cl);

/*
 * Parse ADDR[:PORT] (IPv4, or [IPv6]) into the master fields of @cl.
 * Returns 0 or -EINVAL with *why set to a static explanation.
 */
int ni_parse_master(const char *val, struct ni_cmdline *cl, const char **why);

#endif /* NODEINIT_CMDLINE_H */
