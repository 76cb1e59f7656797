/*
 * host_paging.c - state behind the host's paging seam
 * (tests/host/include/asm/pgtable.h): a 4-level CPU with 2 MiB and 1 GiB
 * pages and NX, unless a test says otherwise.
 */
#include <labyrinth/pgtable.h>

struct host_paging host_paging = {
	.caps = { .levels = 4,
		  .leaf_levels = (1u << 1) | (1u << 2) | (1u << 3),
		  .pte_mask = ~0ull },
};
