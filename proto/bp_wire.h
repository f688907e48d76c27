/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bproc wire protocol between bpmaster and bpslave (docs/protocol.md).
 *
 * Every message is a 16-byte header followed by a payload; all integers
 * are little-endian and fixed width:
 *
 *   0  u32 magic    BP_WIRE_MAGIC ("BPRC")
 *   4  u8  version  BP_WIRE_VERSION
 *   5  u8  flags    0 (reserved)
 *   6  u16 type     enum bp_msg_type
 *   8  u32 length   payload bytes after the header
 *  12  u32 id       request id chosen by the sender, echoed in replies
 *
 * A whole message (header + payload) is at most BP_WIRE_MAX_MSG bytes.
 * Decoding is pure code over a byte buffer: no I/O, no allocation.
 * Functions return a negative errno on failure:
 *
 *   -EPROTO           not a bproc stream (bad magic)
 *   -EPROTONOSUPPORT  a protocol version this code does not speak
 *   -EMSGSIZE         larger than BP_WIRE_MAX_MSG
 *   -EBADMSG          malformed header or payload
 *   -ENOMSG           unknown type with BP_MSG_OPTIONAL set: skip it
 *   -EOPNOTSUPP       unknown type without BP_MSG_OPTIONAL: close
 */
#ifndef BP_WIRE_H
#define BP_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/bproc.h>

#define BP_WIRE_MAGIC		0x43525042u	/* 'B' 'P' 'R' 'C' */
#define BP_WIRE_VERSION		1
#define BP_WIRE_HDR_LEN		16
#define BP_WIRE_MAX_MSG		(1u << 20)
#define BP_WIRE_MAX_PAYLOAD	(BP_WIRE_MAX_MSG - BP_WIRE_HDR_LEN)

/*
 * Room enough for the encoding of any message but PROC, whose payload is
 * a process message (bp_wire_enc_bound() gives the bound of one message).
 */
#define BP_WIRE_ENC_MAX		1024

/* Every mandatory type is below this (a table of handlers can be indexed). */
#define BP_WIRE_TYPES		0x40

/* Directions of a message type (bp_wire_type_dir(), bp_proc_type_dir()). */
#define BP_DIR_TO_NODE		1	/* = BPROC_MSG_TO_NODE */
#define BP_DIR_TO_MASTER	2	/* = BPROC_MSG_TO_MASTER */

/* Types with this bit set may be ignored by a receiver that lacks them. */
#define BP_MSG_OPTIONAL		0x8000

enum bp_msg_type {
	BP_MSG_HELLO	= 0x0001,	/* node -> master: first message */
	BP_MSG_WELCOME	= 0x0002,	/* master -> node: admitted */
	BP_MSG_REJECT	= 0x0003,	/* master -> node: not admitted */
	BP_MSG_STATUS	= 0x0004,	/* node -> master: every ping interval */
	BP_MSG_PING	= 0x0005,	/* either way: answer with PONG */
	BP_MSG_PONG	= 0x0006,	/* reply to PING, same id and time */
	BP_MSG_REQUEST	= 0x0007,	/* master -> node: power, cache purge */
	BP_MSG_BYE	= 0x0008,	/* either way: closing, with reason */
	/* Node authentication (docs/security.md, wire_auth.c). */
	BP_MSG_CHALLENGE = 0x0009,	/* master -> node: its nonce and proof */
	BP_MSG_AUTH	= 0x000a,	/* node -> master: the node's proof */
	BP_MSG_ENROLLED	= 0x000b,	/* master -> node: its key, wrapped */
	BP_MSG_REKEY	= 0x000c,	/* master -> node (sealed): a new key */
	BP_MSG_PROC	= 0x0010,	/* either way: one process message */
	/* A job's connections to bpsh (bp_job.h, docs/bpsh.md). */
	BP_MSG_IO_HELLO	= 0x0020,	/* node -> bpsh: first on each */
	BP_MSG_FILE_WANT = 0x0021,	/* node -> bpsh: send me this object */
	BP_MSG_FILE_DATA = 0x0022,	/* bpsh -> node: a part of it */
	BP_MSG_FILE_END	= 0x0023,	/* bpsh -> node: all of it, or why not */
	BP_MSG_IO_DATA	= 0x0024,	/* both ways on a tree link: stream bytes */
	BP_MSG_IO_ACK	= 0x0025,	/* both ways on a tree link: taken up to */
	BP_MSG_IO_RESEND = 0x0026,	/* down a tree link: send unacked again */
	BP_MSG_IO_ALIVE	= 0x0027,	/* both ways between relays: still here */
};

/* Reason codes of REJECT and BYE. */
enum bp_reason {
	BP_REASON_NONE		= 0,
	BP_REASON_VERSION	= 1,	/* protocol version not spoken */
	BP_REASON_RANGE		= 2,	/* address outside every iprange */
	BP_REASON_AUTH		= 3,	/* authentication failed */
	BP_REASON_PROTOCOL	= 4,	/* malformed or unexpected message */
	BP_REASON_SHUTDOWN	= 5,	/* sender is shutting down */
	BP_REASON_REPLACED	= 6,	/* a newer connection took the node */
	BP_REASON_REBOOT	= 7,	/* node goes down for a reboot */
	BP_REASON_HALT		= 8,	/* node goes down for a halt */
	BP_REASON_POWEROFF	= 9,	/* node goes down for a power-off */
	BP_REASON_CONFIG	= 10,	/* configuration changed */
	BP_REASON_MAX		= 10,
};

/*
 * Actions of REQUEST. The power actions end the session (the node says
 * BYE); CACHE_PURGE keeps it: the node empties its program cache.
 */
enum bp_action {
	BP_ACTION_REBOOT	= 1,
	BP_ACTION_HALT		= 2,
	BP_ACTION_POWEROFF	= 3,
	BP_ACTION_CACHE_PURGE	= 4,
	BP_ACTION_MAX		= BP_ACTION_CACHE_PURGE,
};

/*
 * Authentication methods of HELLO (docs/security.md). The auth bytes:
 *   NONE    none (a master with "auth none" only)
 *   KEY     u32 key generation, 32-byte nonce: CHALLENGE, AUTH follow
 *   ENROLL  the node's 32-byte X25519 public key: ENROLLED follows
 */
enum bp_auth {
	BP_AUTH_NONE		= 0,
	BP_AUTH_KEY		= 1,
	BP_AUTH_ENROLL		= 2,
};

#define BP_AUTH_NONCE_LEN	32
#define BP_AUTH_KEY_LEN		32
#define BP_AUTH_PROOF_LEN	32
#define BP_AUTH_PUB_LEN		32
#define BP_AUTH_KEY_AUTH_LEN	(4 + BP_AUTH_NONCE_LEN)
#define BP_AUTH_WRAPPED_LEN	(BP_AUTH_KEY_LEN + 16)	/* key + GCM tag */

/* A sealed message (docs/security.md): header flag, 16-byte tag at the end. */
#define BP_WIRE_F_SEALED	0x01
#define BP_WIRE_SEAL_TAG	16

#define BP_WIRE_HWADDR_LEN	8
#define BP_WIRE_KERNEL_LEN	64	/* with NUL; 63 bytes on the wire */
#define BP_WIRE_MODVER_LEN	32	/* with NUL; 31 bytes on the wire */
#define BP_WIRE_TEXT_LEN	256	/* with NUL; 255 bytes on the wire */
#define BP_WIRE_AUTH_LEN	512

/* Limits on values, checked by the encoder and the decoder. */
#define BP_WIRE_CPUS_MAX	65536
#define BP_WIRE_NODE_MAX	65535		/* highest node number */
#define BP_WIRE_INTERVAL_MAX	3600000u	/* ms */
#define BP_WIRE_TIMEOUT_MAX	86400000u	/* ms */

struct bp_wire_hdr {
	uint8_t  version;
	uint8_t  flags;
	uint16_t type;
	uint32_t length;
	uint32_t id;
};

struct bp_msg_hello {
	uint32_t cpus;
	uint32_t auth_method;		/* enum bp_auth */
	uint64_t mem_total;		/* bytes */
	uint64_t boot_time;		/* node CLOCK_REALTIME ns at boot */
	uint8_t  hwaddr_len;
	uint8_t  hwaddr[BP_WIRE_HWADDR_LEN];
	char     kernel[BP_WIRE_KERNEL_LEN];
	char     modver[BP_WIRE_MODVER_LEN];
	uint16_t auth_len;
	uint8_t  auth[BP_WIRE_AUTH_LEN];
};

struct bp_msg_welcome {
	int32_t  node;
	uint32_t ping_interval;		/* ms */
	uint32_t ping_timeout;		/* ms */
	uint64_t master_time;		/* master CLOCK_REALTIME ns */
};

struct bp_msg_reason {			/* REJECT and BYE */
	uint32_t code;			/* enum bp_reason */
	char     text[BP_WIRE_TEXT_LEN];
};

struct bp_msg_challenge {
	int32_t  node;			/* the number the master gives the node */
	uint32_t gen;			/* key generation used */
	uint8_t  nonce[BP_AUTH_NONCE_LEN];	/* the master's, fresh */
	uint8_t  proof[BP_AUTH_PROOF_LEN];	/* bp_auth_proof("master") */
};

struct bp_msg_auth {
	uint8_t  proof[BP_AUTH_PROOF_LEN];	/* bp_auth_proof("node") */
};

struct bp_msg_enrolled {
	int32_t  node;
	uint32_t gen;
	uint8_t  pub[BP_AUTH_PUB_LEN];		/* the master's X25519 key */
	uint8_t  wrapped[BP_AUTH_WRAPPED_LEN];	/* the node key, sealed */
};

struct bp_msg_rekey {
	uint32_t gen;
	uint8_t  key[BP_AUTH_KEY_LEN];		/* the node key of @gen */
};

struct bp_msg_status {
	uint32_t load[3];		/* load average * 100 */
	uint32_t procs;
	uint64_t mem_free;		/* bytes available */
	uint64_t uptime;		/* ns */
	/* appended; a node that does not send them reports 0 */
	uint32_t bprocs;		/* processes started for the master,
					 * and their descendants */
	uint64_t cache_used;		/* bytes in the program cache */
	uint64_t cache_size;		/* its limit, bytes */
};

struct bp_msg_ping {			/* PING and PONG */
	uint64_t time;			/* sender's CLOCK_REALTIME ns */
};

struct bp_msg_request {
	uint32_t action;		/* enum bp_action */
};

/*
 * PROC: one process message of the module (struct bproc_msg_hdr and its
 * payload, include/uapi/linux/bproc.h), fields in host order. @hdr.type
 * selects the payload. For REXEC, @gids holds rexec.ngroups group ids and
 * @strs points at rexec.cwd_len bytes of cwd followed by rexec.buf_len
 * bytes of path, argv and envp, each NUL-terminated, and @job at
 * rexec.job_len bytes of a struct bproc_job (little-endian as carried):
 * after a decode they point into the decoded buffer (valid while that
 * buffer is), for an encode at the caller's bytes. Payload sizes come from the uapi
 * header's BPROC_MSG_TABLE (bp_proc_payload_size()).
 */
#define BP_PROC_CWD_MAX		4096	/* cwd_len, with the NUL */
#define BP_PROC_EXEC_LEN	sizeof(struct bproc_msg_exec)

struct bp_msg_proc {
	struct bproc_msg_hdr hdr;
	union {
		struct bproc_msg_rexec rexec;	/* REXEC */
		int32_t error;			/* REXEC_RESULT: 0 or errno */
		struct bproc_signal signal;	/* SIGNAL */
		struct bproc_msg_pstatus pstatus; /* PSTATUS */
		int32_t signo;			/* STOP */
		struct bproc_msg_exit exit;	/* EXIT */
		struct bproc_msg_pids pids;	/* PIDS, PIDS_FREE */
		uint32_t want;			/* PIDS_WANT */
		struct bproc_msg_fork fork;	/* FORK */
		struct bproc_msg_exec exec;	/* EXEC */
	};
	uint32_t gids[BPROC_NGROUPS_MAX];	/* REXEC */
	const char *strs;			/* REXEC */
	const uint8_t *job;			/* REXEC: rexec.job_len bytes */
};

/* IO_HELLO: which stream of which process of which launch, and proof. */
struct bp_msg_io_hello {
	uint32_t stream;		/* enum bp_io_stream */
	uint32_t rank;
	uint64_t job;			/* struct bproc_job.id */
	uint8_t  nonce[16];		/* the node's, fresh */
	uint8_t  mac[32];		/* bp_io_mac() */
};

/*
 * FILE_WANT (hash, size: what the manifest says), FILE_DATA (hash,
 * offset, len bytes at data, at most BP_FILE_CHUNK), FILE_END (hash, size
 * of the whole, error: 0 or a positive errno when it cannot be sent).
 * For DATA, @data points into the decoded buffer, or at the caller's
 * bytes for an encode. A DATA of len 0 carries nothing: a node's seed
 * (bpslave/seed.c) sends one now and then while the object it is asked
 * for is still on its way to it, or the launch's REXEC has not reached
 * it yet (then with a zero hash), so the node below knows it is alive.
 * The same messages go node -> node on a seed connection.
 */
#define BP_FILE_CHUNK		(256u * 1024)

struct bp_msg_file {
	uint8_t  hash[32];
	uint64_t offset;		/* WANT, END: the size */
	uint32_t error;			/* END */
	uint32_t len;			/* DATA */
	const uint8_t *data;		/* DATA */
};

/*
 * The standard streams through bpsh's tree (docs/bpsh.md, "Standard
 * streams through the tree"): on a BP_IO_TREE link, after its IO_HELLO.
 *
 * IO_DATA: @len bytes (at most BP_IO_CHUNK) of stream @stream of rank
 * @rank, starting at byte @offset of that stream; BP_IO_F_EOF: the
 * stream ends at @offset + @len. Output goes up (toward bpsh), stdin
 * down, to one rank or, with @rank BP_IO_RANK_ALL, to every rank below.
 * IO_ACK: rank @rank has (output: bpsh has) every byte of @stream before
 * @offset; BP_IO_F_EOF: and its end; BP_IO_F_CLOSED: no more is wanted
 * (bpsh's output is gone, or the process closed its stdin);
 * BP_IO_F_HELLO: a stdin ack of a rank that just linked up, BP_IO_F_GAP:
 * one that saw bytes past @offset (both: send from @offset to it).
 * IO_RESEND: every rank below sends what is not acked again (the link
 * above changed). Its fields are 0.
 * IO_ALIVE: nothing to say, but alive (every 5 s both ways between two
 * relays; bpsh ignores it). Its fields are 0.
 */
#define BP_IO_CHUNK		(64u * 1024)
#define BP_IO_RANK_ALL		0xffffffffu
#define BP_IO_F_EOF		0x1u
#define BP_IO_F_CLOSED		0x2u
#define BP_IO_F_HELLO		0x4u
#define BP_IO_F_GAP		0x8u
#define BP_IO_F_ALL		0xfu

struct bp_msg_io_data {
	uint32_t rank;
	uint32_t stream;		/* BP_IO_STDIN .. BP_IO_STDERR */
	uint64_t offset;
	uint32_t flags;			/* BP_IO_F_* */
	uint32_t len;			/* DATA */
	const uint8_t *data;		/* DATA */
};

struct bp_msg {
	uint16_t type;
	uint32_t id;
	union {
		struct bp_msg_hello	hello;
		struct bp_msg_welcome	welcome;
		struct bp_msg_challenge	challenge;
		struct bp_msg_auth	auth;
		struct bp_msg_enrolled	enrolled;
		struct bp_msg_rekey	rekey;
		struct bp_msg_reason	reason;
		struct bp_msg_status	status;
		struct bp_msg_ping	ping;
		struct bp_msg_request	request;
		struct bp_msg_proc	proc;
		struct bp_msg_io_hello	io_hello;
		struct bp_msg_file	file;
		struct bp_msg_io_data	io;
	};
};

/* A stream message without bytes (IO_ACK, IO_RESEND, IO_ALIVE, an EOF). */
static inline struct bp_msg bp_io_msg(uint16_t type, uint32_t rank,
				      uint32_t stream, uint64_t offset,
				      uint32_t flags)
{
	struct bp_msg m = { .type = type };

	m.io.rank = rank;
	m.io.stream = stream;
	m.io.offset = offset;
	m.io.flags = flags;
	return m;
}

/*
 * Look at the start of a byte stream. Returns 0 when fewer than
 * BP_WIRE_HDR_LEN bytes are there, else the total length of the first
 * message (header + payload; may be more than @len: read on), or a
 * negative errno. On -EPROTONOSUPPORT @hdr is still filled in.
 */
ssize_t bp_wire_peek(const void *buf, size_t len, struct bp_wire_hdr *hdr);

/* Decode exactly one whole message of @len bytes. */
int bp_wire_decode(const void *buf, size_t len, struct bp_msg *msg);

/*
 * Encode @msg into @buf. Returns the length written, -ENOSPC when @cap is
 * too small or -EINVAL when a field is out of range.
 */
ssize_t bp_wire_encode(const struct bp_msg *msg, void *buf, size_t cap);

/* Most bytes bp_wire_encode() may write for @msg. */
size_t bp_wire_enc_bound(const struct bp_msg *msg);

/*
 * Process messages as the module's master file reads and writes them
 * (native byte order). bp_proc_parse() validates a message of @len bytes
 * like the wire decoder does and fills @p (@p->strs points into @buf);
 * -EBADMSG when it is malformed. bp_proc_build() writes @p into @buf and
 * returns its length, -ENOSPC or -EINVAL.
 */
int bp_proc_parse(const void *buf, size_t len, struct bp_msg_proc *p);
ssize_t bp_proc_build(const struct bp_msg_proc *p, void *buf, size_t cap);

/* Size of @p as a module message (hdr.size when valid). */
size_t bp_proc_size(const struct bp_msg_proc *p);

/* Short names for logs: "HELLO", ..., NULL for an unknown value. */
const char *bp_wire_type_name(uint16_t type);
const char *bp_reason_name(uint32_t code);
const char *bp_proc_type_name(uint16_t type);

/* Which way a type travels (BP_DIR_* bits); 0 for an unknown type. */
unsigned int bp_wire_type_dir(uint16_t type);
unsigned int bp_proc_type_dir(uint16_t type);

/*
 * A process message type's payload size (REXEC: its fixed part), and the
 * layout of its fields on the wire (wire_proc.c), with the size that
 * layout covers; 0 / NULL for an unknown type. For tests.
 */
uint32_t bp_proc_payload_size(uint16_t type);
const char *bp_proc_layout(uint16_t type);
size_t bp_proc_layout_size(const char *layout);

static inline bool bp_wire_type_optional(uint16_t type)
{
	return type & BP_MSG_OPTIONAL;
}

#endif /* BP_WIRE_H */
