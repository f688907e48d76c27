/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_SLAVE_H
#define _BPROC_SLAVE_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/bproc.h>

struct file;
struct pid_namespace;
struct task_struct;
struct bproc_slave_ev;
struct poll_table_struct;

/*
 * A node-side instance: one per bpslave, owned by the /dev/bproc file
 * that bpslave registered with BPROC_IOC_SLAVE. A node kernel can host
 * several (virtual nodes); nothing about an instance is global.
 *
 * The owning file's lock (struct bproc_file.lock) serialises changes of
 * cfg, which are also made under bproc_slaves_lock, so readers may hold
 * either. The lease and event fields are also used by the pid hooks,
 * from any task: bproc_slaves_lock (slave.c) protects them and the list
 * of instances.
 */
struct bproc_slave {
	struct bproc_slave_cfg cfg;	/* as last set by BPROC_IOC_SLAVE */
	u64 id;				/* unique per instance, never reused */
	struct list_head list;		/* in bproc_slaves */
	struct pid_namespace *ns;	/* the masquerade namespace, or NULL */
	struct pid_namespace *own_ns;	/* bpslave's own */
	int *pool;			/* leased numbers reserved in ns */
	u32 npool;
	bool want_due;			/* a PIDS_WANT is to be read */
	bool want_sent;			/* a PIDS_WANT awaits its PIDS */
	int *freed;			/* numbers of ns freed, to hand back */
	u32 nfreed;
	struct bproc_slave_ev *evq;	/* FORK and EXIT events, a ring */
	u32 ev_head, ev_len;
	u32 ev_cap;			/* the ring's bound this session */
	bool ev_void;			/* one was lost: the session is void */
	bool ev_report;			/* ... and read() has yet to say so */
	wait_queue_head_t wait;		/* bpslave's read() and poll() */
	struct mutex read_lock;		/* one read() at a time */
};

int bproc_slave_check(const struct bproc_slave_cfg *cfg);
struct bproc_slave *bproc_slave_create(const struct bproc_slave_cfg *cfg);
void bproc_slave_configure(struct bproc_slave *slave,
			   const struct bproc_slave_cfg *cfg);
void bproc_slave_destroy(struct bproc_slave *slave);

ssize_t bproc_slave_read(struct bproc_slave *slave, struct file *file,
			 char __user *buf, size_t len);
ssize_t bproc_slave_write(struct bproc_slave *slave, const char __user *buf,
			  size_t len);
__poll_t bproc_slave_poll(struct bproc_slave *slave, struct file *file,
			  struct poll_table_struct *pt);
bool bproc_slave_in_ns(struct bproc_slave *slave, struct task_struct *t);
s32 bproc_slave_node_of(struct task_struct *t, u32 *ninstances, s32 *only);

/* pid hooks */
int bproc_slave_alloc_pid_nr(struct pid_namespace *ns);
bool bproc_slave_pid_free(struct pid_namespace *ns, int nr, bool used);
void bproc_slave_task_fork(struct task_struct *p);
void bproc_slave_task_exit(struct task_struct *t, bool group_dead);

#endif /* _BPROC_SLAVE_H */
