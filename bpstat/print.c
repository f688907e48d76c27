// SPDX-License-Identifier: GPL-2.0
/* Text tables and JSON through one set of calls: see print.h. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "print.h"

#define PR_MAX_DEPTH 8
#define PR_MAX_COLS 16

struct pr_cell {
	char *text;
	int col;
	bool last;		/* last cell of its row: not padded */
};

struct printer {
	FILE *fp;
	bool json;
	int err;		/* first error, -errno */

	/* JSON: nesting and whether a member needs a comma first. */
	int depth;
	bool comma[PR_MAX_DEPTH + 1];

	/* Text: the table so far; col is the next cell's column. */
	struct pr_cell *cells;
	size_t ncells, cap;
	int col;
};

struct printer *pr_new(FILE *fp, bool json)
{
	struct printer *p = calloc(1, sizeof(*p));

	if (p) {
		p->fp = fp;
		p->json = json;
	}
	return p;
}

bool pr_is_json(const struct printer *p)
{
	return p->json;
}

static void pr_cell(struct printer *p, const char *text)
{
	struct pr_cell *c;

	if (p->err)
		return;
	if (p->col >= PR_MAX_COLS) {
		p->err = -E2BIG;
		return;
	}
	if (p->ncells == p->cap) {
		size_t cap = p->cap ? 2 * p->cap : 64;

		c = realloc(p->cells, cap * sizeof(*c));
		if (!c) {
			p->err = -ENOMEM;
			return;
		}
		p->cells = c;
		p->cap = cap;
	}
	c = &p->cells[p->ncells];
	c->text = strdup(text);
	if (!c->text) {
		p->err = -ENOMEM;
		return;
	}
	c->col = p->col++;
	c->last = false;
	p->ncells++;
}

void pr_end_row(struct printer *p)
{
	if (p->json || p->col == 0)
		return;
	p->cells[p->ncells - 1].last = true;
	p->col = 0;
}

void pr_json_escape(FILE *fp, const char *s)
{
	const unsigned char *c;

	fputc('"', fp);
	for (c = (const unsigned char *)s; *c; c++) {
		switch (*c) {
		case '"':
			fputs("\\\"", fp);
			break;
		case '\\':
			fputs("\\\\", fp);
			break;
		case '\n':
			fputs("\\n", fp);
			break;
		case '\t':
			fputs("\\t", fp);
			break;
		default:
			if (*c < 0x20 || *c == 0x7f)
				fprintf(fp, "\\u%04x", *c);
			else
				fputc(*c, fp);
		}
	}
	fputc('"', fp);
}

/* Comma and key before a JSON member. */
static void pr_json_member(struct printer *p, const char *key)
{
	if (p->comma[p->depth])
		fputc(',', p->fp);
	p->comma[p->depth] = true;
	if (key) {
		pr_json_escape(p->fp, key);
		fputc(':', p->fp);
	}
}

static void pr_json_open(struct printer *p, enum pr_type type,
			 const char *key, char bracket)
{
	if (!p->json || !(type & PR_JSON))
		return;
	if (p->depth == PR_MAX_DEPTH) {
		p->err = -E2BIG;
		return;
	}
	pr_json_member(p, key);
	fputc(bracket, p->fp);
	p->comma[++p->depth] = false;
}

static void pr_json_close(struct printer *p, enum pr_type type, char bracket)
{
	if (!p->json || !(type & PR_JSON) || p->depth == 0)
		return;
	fputc(bracket, p->fp);
	if (--p->depth == 0)
		fputc('\n', p->fp);
}

void pr_object_open(struct printer *p, enum pr_type type, const char *key)
{
	pr_json_open(p, type, key, '{');
}

void pr_object_close(struct printer *p, enum pr_type type)
{
	pr_json_close(p, type, '}');
}

void pr_array_open(struct printer *p, enum pr_type type, const char *key)
{
	pr_json_open(p, type, key, '[');
}

void pr_array_close(struct printer *p, enum pr_type type)
{
	pr_json_close(p, type, ']');
}

void pr_string(struct printer *p, enum pr_type type, const char *key,
	       const char *value)
{
	if (p->json) {
		if (!(type & PR_JSON))
			return;
		pr_json_member(p, key);
		if (value)
			pr_json_escape(p->fp, value);
		else
			fputs("null", p->fp);
	} else if (type & PR_TEXT) {
		pr_cell(p, value ? value : "-");
	}
}

/* A number: bare in JSON, a cell in text. */
static void pr_number(struct printer *p, enum pr_type type, const char *key,
		      const char *text)
{
	if (p->json) {
		if (!(type & PR_JSON))
			return;
		pr_json_member(p, key);
		fputs(text, p->fp);
	} else if (type & PR_TEXT) {
		pr_cell(p, text);
	}
}

void pr_int(struct printer *p, enum pr_type type, const char *key,
	    long long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", value);
	pr_number(p, type, key, buf);
}

void pr_uint(struct printer *p, enum pr_type type, const char *key,
	     unsigned long long value)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%llu", value);
	pr_number(p, type, key, buf);
}

void pr_float(struct printer *p, enum pr_type type, const char *key,
	      double value)
{
	char buf[64];

	snprintf(buf, sizeof(buf), "%.2f", value);
	pr_number(p, type, key, buf);
}

/* Write the collected cells as left-aligned columns two spaces apart. */
static void pr_flush_table(struct printer *p)
{
	size_t width[PR_MAX_COLS] = { 0 };
	size_t i, n;

	for (i = 0; i < p->ncells; i++) {
		n = strlen(p->cells[i].text);
		if (n > width[p->cells[i].col])
			width[p->cells[i].col] = n;
	}
	for (i = 0; i < p->ncells; i++) {
		const struct pr_cell *c = &p->cells[i];

		if (c->last || i + 1 == p->ncells)
			fprintf(p->fp, "%s\n", c->text);
		else
			fprintf(p->fp, "%-*s  ", (int)width[c->col], c->text);
	}
}

int pr_finish(struct printer *p)
{
	int err;
	size_t i;

	if (!p->json && !p->err)
		pr_flush_table(p);
	err = p->err;
	if (fflush(p->fp) == EOF && !err)
		err = -errno;
	if (ferror(p->fp) && !err)
		err = -EIO;
	for (i = 0; i < p->ncells; i++)
		free(p->cells[i].text);
	free(p->cells);
	free(p);
	return err;
}
