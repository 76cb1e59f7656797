/*
 * gfp_levels_table.h - the documented table of which gfp mask reaches which
 * watermark level in the allocation slow path (docs/walkthrough.md,
 * section 7, "Which gfp reaches which level"; Linux 6.6), written out here
 * independently of mm/page_alloc.c so that the tests compare the code
 * against the documentation, not against itself. Rows are read top to
 * bottom, the first matching row wins (as in the doc).
 */
#ifndef TESTS_HOST_LIB_GFP_LEVELS_TABLE_H
#define TESTS_HOST_LIB_GFP_LEVELS_TABLE_H

#include <labyrinth/gfp.h>
#include <labyrinth/mmzone.h>

enum doc_level { DOC_MIN, DOC_HALF, DOC_ATOMIC, DOC_NONE };
#define DOC_ANY 2

static const struct doc_row {
	unsigned char m, n, h, d; /* MEMALLOC, NOMEMALLOC, HIGH, DIRECT_RECLAIM */
	enum doc_level level;
} doc_table[] = {
	{ 1, 0, DOC_ANY, DOC_ANY, DOC_NONE },
	{ DOC_ANY, 1, 1, DOC_ANY, DOC_HALF },
	{ 0, 0, 1, 0, DOC_ATOMIC },
	{ 0, 0, 1, 1, DOC_HALF },
	{ DOC_ANY, DOC_ANY, 0, DOC_ANY, DOC_MIN },
};

static inline bool doc_bit_matches(unsigned char want, bool have)
{
	return want == DOC_ANY || (want == 1) == have;
}

/* The documented level of gfp's slow path; -1 if no row matches. */
static inline int doc_level_of(gfp_t gfp)
{
	unsigned int i;

	for (i = 0; i < sizeof(doc_table) / sizeof(doc_table[0]); i++) {
		const struct doc_row *r = &doc_table[i];

		if (doc_bit_matches(r->m, gfp & __GFP_MEMALLOC) &&
		    doc_bit_matches(r->n, gfp & __GFP_NOMEMALLOC) &&
		    doc_bit_matches(r->h, gfp & __GFP_HIGH) &&
		    doc_bit_matches(r->d, gfp & __GFP_DIRECT_RECLAIM))
			return (int)r->level;
	}
	return -1;
}

/*
 * The threshold of a documented level in zone z for a request whose
 * highest zone is hi, from the zone's raw watermarks (Linux 6.6's
 * __zone_watermark_ok(): min -= min / 2 for ALLOC_MIN_RESERVE, then
 * min -= min / 4 for ALLOC_NON_BLOCK; lowmem_reserve added; no watermark
 * at all for ALLOC_NO_WATERMARKS). A block of 2^order pages may be taken
 * when free - 2^order >= threshold.
 */
static inline long doc_threshold(const struct zone *z, int level, unsigned int hi)
{
	long min = (long)z->_watermark[WMARK_MIN], reserve = (long)z->lowmem_reserve[hi];

	switch (level) {
	case DOC_MIN: return min + reserve;
	case DOC_HALF: return min - min / 2 + reserve;
	case DOC_ATOMIC: min -= min / 2; return min - min / 4 + reserve;
	default: return 0;
	}
}

/* Everybody's first try: the low watermark. */
static inline long doc_low_threshold(const struct zone *z, unsigned int hi)
{
	return (long)z->_watermark[WMARK_LOW] + (long)z->lowmem_reserve[hi];
}

#endif
