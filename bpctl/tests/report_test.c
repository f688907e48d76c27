// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of what bpctl reports per node (report.c), TAP. */
#include <errno.h>
#include <string.h>

#include "report.h"
#include "bproc-test/tap.h"

static struct bpctl_opts opts(__u32 what, __u32 state, __u32 mode,
			      __u32 uid, __u32 gid)
{
	struct bpctl_opts o = {
		.ctl = { .size = sizeof(o.ctl), .what = what, .state = state,
			 .mode = mode, .uid = uid, .gid = gid },
	};

	return o;
}

static void test_describe(struct tap *t)
{
	struct bpctl_opts o;
	char buf[256], small[12];
	int n;

	o = opts(BPROC_CTL_STATE, BPROC_NODE_UP, 0, 0, 0);
	bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "state up"), "state: '%s'", buf);

	o = opts(BPROC_CTL_MODE, 0, 0111, 0, 0);
	bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "mode 0111"), "mode in octal: '%s'", buf);

	o = opts(BPROC_CTL_MODE, 0, 0, 0, 0);
	bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "mode 0000"), "mode 0: '%s'", buf);

	o = opts(BPROC_CTL_UID | BPROC_CTL_GID, 0, 0, 1000, 100);
	o.user = "alice";
	o.group = "100";
	bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "user alice (1000), group 100"),
	       "a name with its number, a number alone: '%s'", buf);

	o = opts(BPROC_CTL_ALL, BPROC_NODE_PWROFF, 0755, 0, 10);
	o.user = "root";
	o.group = "wheel";
	n = bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "state pwroff, mode 0755, user root (0), "
			  "group wheel (10), cache purged") &&
	       n == (int)strlen(buf), "everything, in a fixed order: '%s'", buf);
	n = bpctl_describe(&o, small, sizeof(small));
	tap_ok(t, n == (int)strlen(buf) && !strcmp(small, "state pwrof"),
	       "truncated like snprintf, the full length returned: '%s' %d",
	       small, n);

	o = opts(BPROC_CTL_CACHE_PURGE, 0, 0, 0, 0);
	bpctl_describe(&o, buf, sizeof(buf));
	tap_ok(t, !strcmp(buf, "cache purged"), "cache purge: '%s'", buf);
}

static void test_hints(struct tap *t)
{
	struct bproc_node_ctl c = { .size = sizeof(c) };
	const char *h;

	c.what = BPROC_CTL_MODE;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root or the node's owner may change a node's mode"),
	       "EPERM on -m: root or the owner: %s", h);

	c.what = BPROC_CTL_GID;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && strstr(h, "owner to a group it is in"),
	       "EPERM on -g: the owner, to its own groups: %s", h);

	c.what = BPROC_CTL_GID | BPROC_CTL_MODE;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && strstr(h, "mode and group") && strstr(h, "a group it is in"),
	       "EPERM on -m -g: %s", h);

	c.what = BPROC_CTL_UID;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may change a node's owner"),
	       "EPERM on -u: root only: %s", h);

	c.what = BPROC_CTL_CACHE_PURGE;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may purge a node's cache"),
	       "EPERM on --cache-purge: %s", h);

	c.what = BPROC_CTL_UID | BPROC_CTL_CACHE_PURGE | BPROC_CTL_MODE;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && strstr(h, "only root may change a node's owner or purge"),
	       "EPERM on -u --cache-purge -m: the root-only parts named: %s", h);

	c.what = BPROC_CTL_STATE | BPROC_CTL_MODE;
	c.state = BPROC_NODE_UNAVAILABLE;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may set a node's state"),
	       "EPERM on -s with -m: the state is root's: %s", h);

	c.what = BPROC_CTL_STATE;
	c.state = BPROC_NODE_REBOOT;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may reboot a node"), "EPERM on -R: %s", h);
	c.state = BPROC_NODE_HALT;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may halt a node"), "EPERM on -H: %s", h);
	c.state = BPROC_NODE_PWROFF;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && !strcmp(h, "only root may power off a node"), "EPERM on -P: %s", h);

	c.what = BPROC_CTL_STATE | BPROC_CTL_UID;
	h = bpctl_hint(EPERM, &c);
	tap_ok(t, h && strstr(h, "state") && strstr(h, "owner"),
	       "EPERM on -s -u: %s", h);

	h = bpctl_hint(ENOTCONN, &c);
	tap_ok(t, h && !strcmp(h, "no master daemon (bpmaster) is running"),
	       "ENOTCONN: %s", h);
	h = bpctl_hint(EHOSTDOWN, &c);
	tap_ok(t, h && strstr(h, "not connected"), "EHOSTDOWN: %s", h);
	h = bpctl_hint(EBUSY, &c);
	tap_ok(t, h && strstr(h, "booting"), "EBUSY: %s", h);
	tap_ok(t, bpctl_hint(EAGAIN, &c) && bpctl_hint(ETIMEDOUT, &c) &&
	       bpctl_hint(ENOSYS, &c) && bpctl_hint(ENODEV, &c),
	       "EAGAIN, ETIMEDOUT, ENOSYS, ENODEV have hints");
	tap_ok(t, !bpctl_hint(EINVAL, &c) && !bpctl_hint(ENOMEM, &c) &&
	       !bpctl_hint(0, &c), "no hint where strerror says it all");
}

int main(void)
{
	struct tap t = { 0 };

	test_describe(&t);
	test_hints(&t);
	return tap_done(&t);
}
