// SPDX-License-Identifier: GPL-2.0
/* libbp$(NAME): bp_$(NAME)() returns its name, after its NEXT's, if any. */
#include <string.h>

#define STR_(x)	#x
#define STR(x)	STR_(x)
#define CAT_(a, b)	a##b
#define CAT(a, b)	CAT_(a, b)

#ifdef NEXT
const char *CAT(bp_, NEXT)(void);
#endif
const char *CAT(bp_, NAME)(void);

const char *CAT(bp_, NAME)(void)
{
#ifdef NEXT
	static char buf[64];

	strcpy(buf, CAT(bp_, NEXT)());
	strcat(buf, " " STR(NAME));
	return buf;
#else
	return STR(NAME);
#endif
}
