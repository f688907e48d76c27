// SPDX-License-Identifier: GPL-2.0
/*
 * The /dev/bproc misc device: per-open-file state and ioctl dispatch.
 *
 * Every open file starts with no role. BPROC_IOC_MASTER makes it the
 * master daemon's file, BPROC_IOC_SLAVE a node-side instance; a file has
 * at most one role, kept until it is closed. The ioctls are documented
 * in include/uapi/linux/bproc.h and docs/module.md.
 *
 * Commands are matched on type, number and direction, not on the size
 * encoded in the command: the leading size field of each struct says how
 * much the caller passed, so a caller built against a later, larger
 * struct still reaches the same command.
 */

#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "ctl.h"
#include "dev.h"
#include "down.h"
#include "ghost.h"
#include "masq.h"
#include "msg.h"
#include "nodes.h"
#include "slave.h"
#include "version.h"

enum bproc_role {
	BPROC_ROLE_NONE,
	BPROC_ROLE_MASTER,
	BPROC_ROLE_SLAVE,
};

/* What one open /dev/bproc file is; file->private_data points at it. */
struct bproc_file {
	struct mutex lock;		/* protects role and slave */
	enum bproc_role role;
	struct bproc_slave *slave;	/* set with BPROC_ROLE_SLAVE */
	u64 seen;			/* BPROC_ROLE_NONE: the table generation
					 * the notifier last read */
};

static bool bproc_dev_is_master(struct file *file);

/* An ioctl command with its size bits cleared, usable as a case label. */
#define BPROC_IOC_ANYSIZE(cmd) ((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

/* Largest struct size a caller may claim: bounds the zero-check of tails. */
#define BPROC_STRUCT_MAX PAGE_SIZE

/* Read the caller's size field and check it against the first version. */
static int bproc_dev_usize(const void __user *ubuf, size_t ver0, u32 *usize)
{
	if (get_user(*usize, (const u32 __user *)ubuf))
		return -EFAULT;
	if (*usize < ver0)
		return -EINVAL;
	if (*usize > BPROC_STRUCT_MAX)
		return -E2BIG;
	return 0;
}

/*
 * Copy in a size-versioned struct: fields the caller did not pass are
 * zero; bytes it passed beyond ours must be zero (-E2BIG otherwise).
 */
static int bproc_dev_copy_in(void *kbuf, size_t ksize, size_t ver0,
			     const void __user *ubuf, u32 *usize)
{
	int err = bproc_dev_usize(ubuf, ver0, usize);

	if (err)
		return err;
	return copy_struct_from_user(kbuf, ksize, ubuf, *usize);
}

/*
 * Copy out a size-versioned struct whose size field the caller has set to
 * min(usize, ksize): at most usize bytes; a larger caller gets its extra
 * bytes cleared.
 */
static int bproc_dev_copy_out(void __user *ubuf, u32 usize,
			      const void *kbuf, size_t ksize)
{
	size_t n = min_t(size_t, usize, ksize);

	if (copy_to_user(ubuf, kbuf, n))
		return -EFAULT;
	if (usize > n && clear_user(ubuf + n, usize - n))
		return -EFAULT;
	return 0;
}

static long bproc_dev_version(void __user *ubuf)
{
	struct bproc_version v = {};
	u32 usize;
	int err;

	BUILD_BUG_ON(sizeof(BPROC_MODULE_VERSION) > sizeof(v.module));

	err = bproc_dev_usize(ubuf, BPROC_VERSION_SIZE_VER0, &usize);
	if (err)
		return err;
	v.size = min_t(u32, usize, sizeof(v));
	v.abi = BPROC_ABI_VERSION;
	strscpy(v.module, BPROC_MODULE_VERSION, sizeof(v.module));
	return bproc_dev_copy_out(ubuf, usize, &v, sizeof(v));
}

static long bproc_dev_master(struct file *file, void __user *ubuf)
{
	struct bproc_file *bf = file->private_data;
	struct bproc_master_cfg cfg;
	u32 usize;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = bproc_dev_copy_in(&cfg, sizeof(cfg), BPROC_MASTER_CFG_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;

	mutex_lock(&bf->lock);
	if (bf->role == BPROC_ROLE_SLAVE) {
		err = -EBUSY;
	} else {
		err = bproc_nodes_master_attach(file, cfg.nodes);
		if (!err) {
			bf->role = BPROC_ROLE_MASTER;
			bproc_msg_open();
			bproc_ctl_open();
		}
	}
	mutex_unlock(&bf->lock);
	/* A fresh table has every node down: so are their processes. */
	if (!err)
		bproc_down(BPROC_NODES_ALL, EHOSTDOWN);
	return err;
}

static long bproc_dev_node_set(struct file *file, void __user *ubuf)
{
	struct bproc_node_info info;
	bool down;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&info, sizeof(info), BPROC_NODE_INFO_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	err = bproc_nodes_set(file, &info, &down);
	/* After the state change: a REXEC checking later sees it. */
	if (down)
		bproc_down(info.node, EHOSTDOWN);
	return err;
}

static long bproc_dev_node_get(void __user *ubuf)
{
	struct bproc_node_info info;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&info, sizeof(info), BPROC_NODE_INFO_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	err = bproc_nodes_get(info.node, &info);
	if (err)
		return err;
	info.size = min_t(u32, usize, sizeof(info));
	return bproc_dev_copy_out(ubuf, usize, &info, sizeof(info));
}

/* A user asks the master daemon to change a node (ctl.c). */
static long bproc_dev_node_ctl(void __user *ubuf)
{
	struct bproc_node_ctl c;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&c, sizeof(c), BPROC_NODE_CTL_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	return bproc_ctl_request(&c);
}

/* The master daemon's answer to one BPROC_MSG_NODE_CTL. */
static long bproc_dev_node_ctl_done(struct file *file, void __user *ubuf)
{
	struct bproc_node_ctl_done d;
	u32 usize;
	int err;

	if (!bproc_dev_is_master(file))
		return -EPERM;
	err = bproc_dev_copy_in(&d, sizeof(d), BPROC_NODE_CTL_DONE_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	return bproc_ctl_done(d.id, d.error);
}

static long bproc_dev_node_count(u32 __user *ubuf)
{
	return put_user(bproc_nodes_count(), ubuf);
}

/*
 * The node the caller runs on: its instance's, when the caller is one of
 * an instance's processes; the master's on a kernel with a node table or
 * without instances; else the only instance's, or none of several.
 */
static long bproc_dev_currnode(s32 __user *ubuf)
{
	s32 node, only;
	u32 n;

	node = bproc_slave_node_of(current, &n, &only);
	if (node < 0) {
		if (bproc_nodes_count() || n == 0)
			node = BPROC_NODE_MASTER;
		else
			node = n == 1 ? only : BPROC_NODE_NONE;
	}
	return put_user(node, ubuf);
}

static long bproc_dev_slave(struct file *file, void __user *ubuf)
{
	struct bproc_file *bf = file->private_data;
	struct bproc_slave_cfg cfg;
	struct bproc_slave *slave;
	u32 usize;
	int err;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	err = bproc_dev_copy_in(&cfg, sizeof(cfg), BPROC_SLAVE_CFG_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	err = bproc_slave_check(&cfg);
	if (err)
		return err;

	mutex_lock(&bf->lock);
	switch (bf->role) {
	case BPROC_ROLE_MASTER:
		err = -EBUSY;
		break;
	case BPROC_ROLE_SLAVE:
		bproc_slave_configure(bf->slave, &cfg);
		break;
	case BPROC_ROLE_NONE:
		slave = bproc_slave_create(&cfg);
		if (IS_ERR(slave)) {
			err = PTR_ERR(slave);
			break;
		}
		bf->slave = slave;
		bf->role = BPROC_ROLE_SLAVE;
		break;
	}
	mutex_unlock(&bf->lock);
	return err;
}

static long bproc_dev_slave_get(struct file *file, void __user *ubuf)
{
	struct bproc_file *bf = file->private_data;
	struct bproc_slave_cfg cfg;
	u32 usize;
	int err;

	err = bproc_dev_usize(ubuf, BPROC_SLAVE_CFG_SIZE_VER0, &usize);
	if (err)
		return err;

	mutex_lock(&bf->lock);
	if (bf->role == BPROC_ROLE_SLAVE)
		cfg = bf->slave->cfg;
	else
		err = -ENOENT;
	mutex_unlock(&bf->lock);
	if (err)
		return err;

	cfg.size = min_t(u32, usize, sizeof(cfg));
	return bproc_dev_copy_out(ubuf, usize, &cfg, sizeof(cfg));
}

static long bproc_dev_rexec(void __user *ubuf)
{
	struct bproc_rexec req;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&req, sizeof(req), BPROC_REXEC_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	return bproc_ghost_rexec(&req);
}

/* The instance of a node-side file, or NULL; pinned by the open file. */
static struct bproc_slave *bproc_dev_slave_of(struct file *file)
{
	struct bproc_file *bf = file->private_data;
	struct bproc_slave *slave;

	mutex_lock(&bf->lock);
	slave = bf->role == BPROC_ROLE_SLAVE ? bf->slave : NULL;
	mutex_unlock(&bf->lock);
	return slave;
}

static long bproc_dev_masq(struct file *file, void __user *ubuf)
{
	struct bproc_slave *slave;
	struct bproc_masq req;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&req, sizeof(req), BPROC_MASQ_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	slave = bproc_dev_slave_of(file);
	if (!slave)
		return -EPERM;
	return bproc_masq_register(slave, &req);
}

static long bproc_dev_signal(struct file *file, void __user *ubuf)
{
	struct bproc_slave *slave;
	struct bproc_signal req;
	u32 usize;
	int err;

	err = bproc_dev_copy_in(&req, sizeof(req), BPROC_SIGNAL_SIZE_VER0,
				ubuf, &usize);
	if (err)
		return err;
	slave = bproc_dev_slave_of(file);
	if (!slave)
		return -EPERM;
	return bproc_masq_signal(slave, &req);
}

static long bproc_dev_ioctl(struct file *file, unsigned int cmd,
			    unsigned long arg)
{
	void __user *ubuf = (void __user *)arg;

	/* The commands without a size-versioned struct: exact match. */
	if (cmd == BPROC_IOC_NODE_COUNT)
		return bproc_dev_node_count(ubuf);
	if (cmd == BPROC_IOC_CURRNODE)
		return bproc_dev_currnode(ubuf);

	switch (BPROC_IOC_ANYSIZE(cmd)) {
	case BPROC_IOC_ANYSIZE(BPROC_IOC_VERSION):
		return bproc_dev_version(ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_MASTER):
		return bproc_dev_master(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_NODE_SET):
		return bproc_dev_node_set(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_NODE_GET):
		return bproc_dev_node_get(ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_NODE_CTL):
		return bproc_dev_node_ctl(ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_NODE_CTL_DONE):
		return bproc_dev_node_ctl_done(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_SLAVE):
		return bproc_dev_slave(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_SLAVE_GET):
		return bproc_dev_slave_get(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_REXEC):
		return bproc_dev_rexec(ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_MASQ):
		return bproc_dev_masq(file, ubuf);
	case BPROC_IOC_ANYSIZE(BPROC_IOC_SIGNAL):
		return bproc_dev_signal(file, ubuf);
	default:
		return -ENOTTY;
	}
}

static enum bproc_role bproc_dev_role(struct file *file)
{
	struct bproc_file *bf = file->private_data;
	enum bproc_role role;

	mutex_lock(&bf->lock);
	role = bf->role;
	mutex_unlock(&bf->lock);
	return role;
}

static bool bproc_dev_is_master(struct file *file)
{
	return bproc_dev_role(file) == BPROC_ROLE_MASTER;
}

/* The change notifier: a file without a role reads the table generation. */
static bool bproc_dev_changed(struct bproc_file *bf)
{
	return bproc_nodes_generation() != READ_ONCE(bf->seen);
}

static ssize_t bproc_dev_notify_read(struct file *file, char __user *buf,
				     size_t len)
{
	struct bproc_file *bf = file->private_data;
	u64 gen;
	int err;

	if (len < sizeof(gen))
		return -EINVAL;
	while (!bproc_dev_changed(bf)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		err = wait_event_interruptible(*bproc_nodes_waitq(),
					       bproc_dev_changed(bf));
		if (err)
			return err;
	}
	gen = bproc_nodes_generation();
	if (put_user(gen, (u64 __user *)buf))
		return -EFAULT;
	WRITE_ONCE(bf->seen, gen);
	return sizeof(gen);
}

static __poll_t bproc_dev_notify_poll(struct file *file, poll_table *pt)
{
	struct bproc_file *bf = file->private_data;

	poll_wait(file, bproc_nodes_waitq(), pt);
	return bproc_dev_changed(bf) ? EPOLLIN | EPOLLRDNORM : 0;
}

/*
 * Messages for the nodes on the master daemon's file; a node instance's
 * file reads the node's own events (slave.c); a file without a role is a
 * change notifier.
 */
static ssize_t bproc_dev_read(struct file *file, char __user *buf,
			      size_t len, loff_t *ppos)
{
	enum bproc_role role = bproc_dev_role(file);
	struct bproc_slave *slave;

	if (role == BPROC_ROLE_MASTER)
		return bproc_msg_read(file, buf, len);
	if (role == BPROC_ROLE_NONE)
		return bproc_dev_notify_read(file, buf, len);
	slave = bproc_dev_slave_of(file);
	if (!slave)
		return -EPERM;
	return bproc_slave_read(slave, file, buf, len);
}

/*
 * Messages from the nodes on the master daemon's file; the master's
 * PIDS on a node instance's file.
 */
static ssize_t bproc_dev_write(struct file *file, const char __user *buf,
			       size_t len, loff_t *ppos)
{
	struct bproc_slave *slave;

	if (bproc_dev_is_master(file))
		return bproc_msg_write(buf, len);
	slave = bproc_dev_slave_of(file);
	if (!slave)
		return -EPERM;
	return bproc_slave_write(slave, buf, len);
}

static __poll_t bproc_dev_poll(struct file *file, poll_table *pt)
{
	enum bproc_role role = bproc_dev_role(file);
	struct bproc_slave *slave;

	if (role == BPROC_ROLE_MASTER)
		return bproc_msg_poll(file, pt);
	if (role == BPROC_ROLE_NONE)
		return bproc_dev_notify_poll(file, pt);
	slave = bproc_dev_slave_of(file);
	if (!slave)
		return EPOLLERR;
	return bproc_slave_poll(slave, file, pt);
}

static int bproc_dev_open(struct inode *inode, struct file *file)
{
	struct bproc_file *bf;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL);
	if (!bf)
		return -ENOMEM;
	mutex_init(&bf->lock);
	bf->role = BPROC_ROLE_NONE;
	file->private_data = bf;
	return 0;
}

/* The last reference to the file is gone: no ioctl can be running. */
static int bproc_dev_release(struct inode *inode, struct file *file)
{
	struct bproc_file *bf = file->private_data;

	if (bf->role == BPROC_ROLE_MASTER) {
		bproc_nodes_master_detach(file);
		/* Before the queue: waiting requests learn -ENOTCONN. */
		bproc_ctl_close();
		bproc_msg_close();
		/* bpmaster is gone: every ghost exits as killed by SIGKILL. */
		bproc_down(BPROC_NODES_ALL, ENOTCONN);
	}
	bproc_slave_destroy(bf->slave);
	mutex_destroy(&bf->lock);
	kfree(bf);
	return 0;
}

/* .owner pins the module while any file is open: rmmod then fails. */
static const struct file_operations bproc_dev_fops = {
	.owner		= THIS_MODULE,
	.open		= bproc_dev_open,
	.release	= bproc_dev_release,
	.unlocked_ioctl	= bproc_dev_ioctl,
	.read		= bproc_dev_read,
	.write		= bproc_dev_write,
	.poll		= bproc_dev_poll,
	.compat_ioctl	= compat_ptr_ioctl,
	.llseek		= noop_llseek,
};

/* Mode 0666: any user may read the node table; privileged ioctls check. */
static struct miscdevice bproc_dev_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "bproc",
	.fops	= &bproc_dev_fops,
	.mode	= 0666,
};

int bproc_dev_init(void)
{
	return misc_register(&bproc_dev_misc);
}

void bproc_dev_uninit(void)
{
	misc_deregister(&bproc_dev_misc);
}
