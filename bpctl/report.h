/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What bpctl says about a node: the change made (-v) and, when a node
 * refused it, why. Pure (tests/report_test.c).
 */
#ifndef BPCTL_REPORT_H
#define BPCTL_REPORT_H

#include <stddef.h>

#include "opts.h"

/*
 * The change of @o as text, e.g. "state up, mode 0111, user alice
 * (1000), cache purged", into @buf like snprintf.
 */
int bpctl_describe(const struct bpctl_opts *o, char *buf, size_t len);

/*
 * A hint for a node's refusal @err (a positive errno) of the change
 * @ctl, to follow strerror(); NULL when there is nothing to add.
 */
const char *bpctl_hint(int err, const struct bproc_node_ctl *ctl);

#endif /* BPCTL_REPORT_H */
