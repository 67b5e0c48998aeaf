/*
 * Totals per ISO week, kept sorted by week index: O(weeks) memory whatever
 * the number of listens, which is the bound SPEC section 8 asks for.
 */
#ifndef WEEKMAP_H
#define WEEKMAP_H

#include <stddef.h>
#include <stdint.h>

struct week_total {
	int64_t index; /* isoweek_index() */
	int64_t ms;
	int64_t plays;
};

struct weekmap {
	struct week_total *w;
	size_t n, cap;
	size_t last; /* the slot hit last: listens come mostly in time order */
};

struct week_total *weekmap_get(struct weekmap *m, int64_t index);
int weekmap_add(struct weekmap *m, int64_t index, int64_t ms, int64_t plays);
void weekmap_free(struct weekmap *m);

#endif
