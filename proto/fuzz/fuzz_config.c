// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the config parser: any input either parses into a
 * consistent configuration or fails with a message.
 */
#include <stdlib.h>
#include <string.h>

#include "bp_config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bp_cfg cfg;
	char err[256];

	if (bp_cfg_parse(&cfg, (const char *)data, size, "fuzz", err,
			 sizeof(err))) {
		if (!err[0] || cfg.ranges || cfg.nodes)
			abort();
		return 0;
	}
	if (!cfg.nranges || !cfg.node_count)
		abort();
	/* Every range address maps to a node and back. */
	for (size_t i = 0; i < cfg.nranges; i++) {
		const struct bp_cfg_range *r = &cfg.ranges[i];
		uint32_t a;
		int node;

		node = bp_cfg_node_of_addr(&cfg, r->end);
		if (node < 0 || (uint32_t)node >= cfg.node_count ||
		    bp_cfg_addr_of_node(&cfg, (uint32_t)node, &a) || a != r->end)
			abort();
	}
	bp_cfg_free(&cfg);
	return 0;
}
