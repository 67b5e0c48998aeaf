#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "weekmap.h"

/* The week's slot, created with zero totals when new. */
struct week_total *
weekmap_get(struct weekmap *m, int64_t index)
{
	size_t lo = 0, hi = m->n;

	if (m->last < m->n && m->w[m->last].index == index)
		return &m->w[m->last];
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->w[mid].index < index)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->n || m->w[lo].index != index) {
		if (m->n == m->cap) {
			m->cap = m->cap ? 2 * m->cap : 64;
			m->w = xrealloc(m->w, m->cap * sizeof *m->w);
		}
		memmove(&m->w[lo + 1], &m->w[lo], (m->n - lo) * sizeof *m->w);
		m->w[lo].index = index;
		m->w[lo].ms = 0;
		m->w[lo].plays = 0;
		m->n++;
	}
	m->last = lo;
	return &m->w[lo];
}

/* Adds to a week; -1 when its total would pass 2^63 - 1 ms. */
int
weekmap_add(struct weekmap *m, int64_t index, int64_t ms, int64_t plays)
{
	struct week_total *t = weekmap_get(m, index);
	int64_t sum_ms, sum_plays;

	if (__builtin_add_overflow(t->ms, ms, &sum_ms) ||
	    __builtin_add_overflow(t->plays, plays, &sum_plays))
		return -1;
	t->ms = sum_ms;
	t->plays = sum_plays;
	return 0;
}

void
weekmap_free(struct weekmap *m)
{
	free(m->w);
	memset(m, 0, sizeof *m);
}
