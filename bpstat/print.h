/* SPDX-License-Identifier: GPL-2.0 */
/*
 * One print path for text and JSON, in the manner of iproute2's
 * json_print: every value is printed through one call that says whether
 * it belongs to the text output, the JSON output or both. Text cells are
 * collected into rows and written as aligned columns by pr_finish(); JSON
 * is streamed.
 */
#ifndef _BPSTAT_PRINT_H
#define _BPSTAT_PRINT_H

#include <stdbool.h>
#include <stdio.h>

enum pr_type {
	PR_TEXT = 1,		/* a text cell only */
	PR_JSON = 2,		/* a JSON member only */
	PR_ANY = PR_TEXT | PR_JSON,
};

struct printer;

/* A printer writing to @fp; NULL when out of memory. */
struct printer *pr_new(FILE *fp, bool json);

/*
 * Write out the text table (text mode), free the printer. Returns 0 or
 * the first error met (-ENOMEM while collecting, -EIO on a write error
 * of @fp, which is flushed).
 */
int pr_finish(struct printer *p);

bool pr_is_json(const struct printer *p);

/* JSON containers; @key is NULL inside arrays and at the top level. */
void pr_object_open(struct printer *p, enum pr_type type, const char *key);
void pr_object_close(struct printer *p, enum pr_type type);
void pr_array_open(struct printer *p, enum pr_type type, const char *key);
void pr_array_close(struct printer *p, enum pr_type type);

/* Values. A NULL string is JSON null and the text "-". */
void pr_string(struct printer *p, enum pr_type type, const char *key,
	       const char *value);
void pr_int(struct printer *p, enum pr_type type, const char *key,
	    long long value);
void pr_uint(struct printer *p, enum pr_type type, const char *key,
	     unsigned long long value);
/* Two decimals in both outputs. */
void pr_float(struct printer *p, enum pr_type type, const char *key,
	      double value);

/* End the current text row (a no-op in JSON). */
void pr_end_row(struct printer *p);

/* @s as a JSON string literal, with quotes. */
void pr_json_escape(FILE *fp, const char *s);

#endif /* _BPSTAT_PRINT_H */
