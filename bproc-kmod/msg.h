/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_MSG_H
#define _BPROC_MSG_H

#include <linux/fs.h>
#include <linux/list.h>
#include <linux/poll.h>
#include <linux/types.h>
#include <linux/bproc.h>

struct ucounts;

/* One message queued for the master daemon: header, then payload. */
struct bproc_qmsg {
	struct list_head list;
	/* Called once the message left the queue (read, or dropped). */
	void (*done)(struct bproc_qmsg *m);
	bool read;			/* it left by read(), not dropped */
	struct ucounts *ucounts;	/* charged one RLIMIT_SIGPENDING */
	u32 charge;			/* bytes counted in the user bound */
	u32 gen;			/* the node's session generation */
	struct bproc_msg_hdr hdr;	/* hdr.size: header + payload */
	u8 payload[];
};

/* Default bound on the bytes of user-made messages queued (msgq_max_kib). */
#define BPROC_MSGQ_USER_MAX_KIB	(32 * 1024)

struct bproc_qmsg *bproc_msg_alloc(u16 type, s32 node, s32 pid, u64 id,
				   size_t payload, gfp_t gfp);
void bproc_msg_free(struct bproc_qmsg *m);
int bproc_msg_send(struct bproc_qmsg *m);
int bproc_msg_send_user(struct bproc_qmsg *m);
void bproc_msg_drop_node(s32 node);
u64 bproc_msg_new_id(void);

void bproc_msg_init(void);
void bproc_msg_uninit(void);
void bproc_msg_open(void);
void bproc_msg_close(void);
ssize_t bproc_msg_read(struct file *file, char __user *buf, size_t len);
__poll_t bproc_msg_poll(struct file *file, poll_table *pt);

/* msg_in.c */
ssize_t bproc_msg_write(const char __user *buf, size_t len);

#endif /* _BPROC_MSG_H */
