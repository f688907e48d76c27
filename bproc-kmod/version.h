/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _BPROC_VERSION_H
#define _BPROC_VERSION_H

/* Reported by modinfo (MODULE_VERSION) and by BPROC_IOC_VERSION. */
#define BPROC_MODULE_VERSION "0.1.0"

#endif /* _BPROC_VERSION_H */
