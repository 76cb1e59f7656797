"""The mutants of tools/mutate.py (make mutate, make mutate-fast).

Each entry is one deliberate bug:
  name         unique, kebab-case
  file         path from the top of the tree
  original     exact text, found exactly once in file (tabs as in the file)
  replacement  what it becomes
  tests        host tests (tests/host/test_<x>.c -> "test_<x>") that must
               catch it: at least one of them must fail
  fast         True: also in the fast subset that `make test` runs (keep the
               subset's tests quick: host tests only, each well under 10 s)
  why          the bug in words

To add one, append a dict to MUTANTS (e.g. a freed exclusive page that is
not scrubbed: file "mm/exclusive.c", original = the scrubbing call,
replacement = "", tests = ["test_exclusive"]), then run
`tools/mutate.py --only <name>`: it must print "caught". A mutant that
survives is a missing test.
"""

MUTANTS = [
    dict(
        name="buddy-fast-path-ignores-watermark",
        why="alloc_pages_buddy() (order > 0 or lists off, no hook) takes from the first "
            "zone below its low watermark",
        file="mm/page_alloc.c",
        original="rmqueue_on(cpu, pcp_first_zone[cpu][hi], order, ALLOC_WMARK_LOW, hi, gfp)",
        replacement="rmqueue_on(cpu, pcp_first_zone[cpu][hi], order, ALLOC_NO_WATERMARKS, hi, "
                    "gfp)",
        tests=["test_gfp_levels", "test_page_alloc_model"],
        fast=False,
    ),
    dict(
        name="buddy-free-fast-path-skips-poison",
        why="__free_pages() sends order > 0 frees straight to the buddy under "
            "debug_pagealloc: the freed block is not poisoned",
        file="mm/internal.h",
        original="#define MM_HOOKS_FREE_SLOW (MM_HOOK_POISON | MM_HOOK_TRACE_FREE | MM_HOOK_POOL_LOW)",
        replacement="#define MM_HOOKS_FREE_SLOW (MM_HOOK_TRACE_FREE | MM_HOOK_POOL_LOW)",
        tests=["test_buddy", "test_page_alloc_model"],
        fast=False,
    ),
    dict(
        name="buddy-free-fast-path-takes-exclusive",
        why="__free_pages() sends an exclusive page of order > 0 straight to the buddy: "
            "not released by its owner, not scrubbed",
        file="mm/page_alloc.c",
        original="(order || (hooks & MM_HOOK_NO_PCP)) && !(page->flags & PG_exclusive)",
        replacement="(order || (hooks & MM_HOOK_NO_PCP))",
        tests=["test_exclusive"],
        fast=False,
    ),
    dict(
        name="order-gt0-always-fails",
        why="every order > 0 allocation fails",
        file="mm/page_alloc.c",
        # rmqueue(): every buddy take, alloc_pages_buddy()'s first try and the
        # zonelist walks of the slow path alike (not trace=, rmqueue_traced())
        original="\telse if (zone_watermark_ok(zone, order, level, hi, harder))",
        replacement="\telse if (!order && zone_watermark_ok(zone, order, level, hi, harder))",
        tests=["test_page_alloc_model"],
        fast=True,
    ),
    dict(
        name="buddies-never-merged",
        why="__free_one_page never merges a block with its free buddy",
        file="mm/buddy.c",
        original="\t\tif (buddy->flags != PG_buddy || buddy->order != order)\n\t\t\tbreak;",
        replacement="\t\tbreak;",
        tests=["test_page_alloc_model"],
        fast=True,
    ),
    dict(
        name="watermark-off-by-one",
        why="__zone_watermark_ok() lets a zone go one page below the watermark",
        file="include/labyrinth/mmzone.h",
        original="\tif (free - (long)(1ul << order) < thr)\n\t\treturn false;",
        replacement="\tif (free - (long)(1ul << order) + 1 < thr)\n\t\treturn false;",
        tests=["test_gfp_levels"],
        fast=True,
    ),
    dict(
        name="pcp-count-not-decremented",
        why="the per-CPU fast path hands out a page but leaves the count as it was",
        file="mm/internal.h",
        original="\t\tl->count = --n;\n",
        replacement="\t\t--n;\n",
        tests=["test_pcp"],
        fast=False,  # caught, but only when test_pcp's endless refill hits the 300 s limit
    ),
    dict(
        name="gfp-kernel-stops-at-low",
        why="the inversion of issue 14: a sleeping allocation never goes below low",
        file="mm/page_alloc.c",
        original="\tif (!(gfp & __GFP_HIGH))\n\t\treturn ALLOC_WMARK_MIN;",
        replacement="\tif (!(gfp & __GFP_HIGH))\n"
                    "\t\treturn gfpflags_allow_blocking(gfp) ? ALLOC_WMARK_LOW : ALLOC_WMARK_MIN;",
        tests=["test_gfp_levels"],
        fast=True,
    ),
    dict(
        name="nomemalloc-ignored",
        why="__GFP_NOMEMALLOC does not override __GFP_MEMALLOC",
        file="mm/page_alloc.c",
        original="\tif ((gfp & (__GFP_MEMALLOC | __GFP_NOMEMALLOC)) == __GFP_MEMALLOC)\n"
                 "\t\treturn ALLOC_NO_WATERMARKS;\n\tif (!(gfp & __GFP_HIGH))",
        replacement="\tif (gfp & __GFP_MEMALLOC)\n"
                    "\t\treturn ALLOC_NO_WATERMARKS;\n\tif (!(gfp & __GFP_HIGH))",
        tests=["test_gfp_levels"],
        fast=True,
    ),
    dict(
        name="atomic-only-half-min",
        why="a non-blocking __GFP_HIGH caller does not get the extra quarter",
        file="mm/zone.c",
        original="[ALLOC_WMARK_ATOMIC] = half - half / 4,",
        replacement="[ALLOC_WMARK_ATOMIC] = half,",
        tests=["test_gfp_levels"],
        fast=False,
    ),
    dict(
        name="no-balancer-wakeup",
        why="the slow path never wakes the balancer",
        file="mm/page_alloc.c",
        original="\t\t\twakeup_kcompactd(zl, order); /* background compaction */\n\t\twakeup_balancer();",
        replacement="\t\t\twakeup_kcompactd(zl, order); /* background compaction */",
        tests=["test_gfp_levels"],
        fast=False,
    ),
    dict(
        name="pool-hit-without-page",
        why="a pool take or labyrinth_pool_alloc() counts a hit even when it returns no page",
        file="mm/pool.c",
        original="\t__atomic_add_fetch(&pool_hot.misses, 1, __ATOMIC_RELAXED);\n\treturn NULL;",
        replacement="\t__atomic_add_fetch(&pool_hot.hits, 1, __ATOMIC_RELAXED);\n\treturn NULL;",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-ignores-caller-zone",
        why="the pool hands a GFP_DMA caller a DMA32 page",
        file="mm/pool.c",
        original="for (z = (int)min(hi, (unsigned int)MAX_NR_ZONES - 1); z >= 0 && !page; z--)",
        replacement="for (z = MAX_NR_ZONES - 1 + 0 * (int)hi; z >= 0 && !page; z--)",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-cache-not-stolen",
        why="a take whose own slot and the stacks are empty returns NULL while another "
            "CPU's slot holds a page: the per-CPU cache strands pages on idle CPUs",
        file="mm/pool.c",
        original="\t\tpage = pool_cache_take((me + i) % NR_CPUS, hi);",
        replacement="\t\tpage = i > NR_CPUS ? pool_cache_take((me + i) % NR_CPUS, hi) : NULL;",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-held-since-ignores-cache",
        why="labyrinth_pool_held_since() does not see pages in the CPUs' slots: the "
            "self-test's judge_null() calls a NULL justified while a slot held a page",
        file="mm/pool.c",
        original="\t\tif (page && pfn_zone_idx(page->pfn) <= hi)\n\t\t\treturn true;",
        replacement="\t\tif (page && pfn_zone_idx(page->pfn) <= hi)\n\t\t\treturn false;",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-cache-ignores-caller-zone",
        why="a GFP_DMA caller gets the DMA32 page in its CPU's slot",
        file="mm/pool.c",
        original="\twhile (page && pfn_zone_idx(page->pfn) <= hi)",
        replacement="\twhile (page && hi < 100)",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-cache-take-leaves-low-clear",
        why="a take from a slot never sets MM_HOOK_POOL_LOW: the pool below its size and "
            "the frees not sent to refill it (stale-false)",
        file="mm/pool.c",
        original="__ATOMIC_RELAXED) || !pool_low()))",
        replacement="__ATOMIC_RELAXED)))",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-zone-level-ignores-cache",
        why="the per-zone judgements (refill from free, the balancer's refill and trim) "
            "do not count the slots' pages: the pool grows past its size",
        file="mm/pool.c",
        original="return __atomic_load_n(&stacks[z].level, __ATOMIC_SEQ_CST) + cached_in_zone(z);",
        replacement="return __atomic_load_n(&stacks[z].level, __ATOMIC_SEQ_CST) + 0 * cached_in_zone(z);",
        tests=["test_pool"],
        fast=False,
    ),
    dict(
        name="pool-sealed-page-not-unsealed",
        why="an ordinary caller gets a sealed pool page still keyed 'nobody' (key 1): "
            "with PKS every access to it faults",
        file="mm/pool.c",
        original="\t\tsealer->unseal(page);\n\t\tif (unlikely(mm_debug_poison))",
        replacement="\t\tif (unlikely(mm_debug_poison))",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="pool-sealed-not-zeroed",
        why="pages are sealed for the exclusive seed call without being zeroed: the seed "
            "call (which does not zero a key-1 page) hands out an old owner's data",
        file="mm/pool.c",
        original="\t\t\tif (page)\n\t\t\t\tmemset(page_address(page), 0, PAGE_SIZE);\n",
        replacement="",
        tests=["test_pool"],
        fast=False,
    ),
    dict(
        name="pool-not-refilled-from-frees",
        why="freed pages never top the pool up (only the balancer does)",
        file="mm/internal.h",
        original="return unlikely(READ_ONCE(mm_alloc_hooks) & MM_HOOK_POOL_LOW) &&\n"
                 "\t       labyrinth_pool_refill_from_free(page);",
        replacement="return false && labyrinth_pool_refill_from_free(page);",
        tests=["test_pool"],
        fast=True,
    ),
    dict(
        name="highatomic-reserve-counted-by-all",
        why="callers without ALLOC_HARDER count the highatomic reserve as free "
            "(Linux 6.1's __zone_watermark_unusable_free() subtracts it)",
        file="include/labyrinth/mmzone.h",
        original="return alloc_harder ? 0 : (long)READ_ONCE(z->nr_reserved_highatomic);",
        replacement="return 0 * (long)alloc_harder * (long)z->nr_reserved_highatomic;",
        tests=["test_migratetype"],
        fast=True,
    ),
    dict(
        name="memmap-no-reservation-headroom",
        why="the map table has no room beyond normalization: reservations are dropped",
        file="mm/memmap.c",
        original="\tif (m->nr + 2 > MEMMAP_CAP) {",
        replacement="\tif (m->nr + 2 > MEMMAP_MAX) {",
        tests=["test_memmap_reserve"],
        fast=True,
    ),
    dict(
        name="memblock-list-never-grows",
        why="a full memblock list loses the region instead of growing",
        file="mm/memblock.c",
        original="\t\t\tif (memblock_double_array(t, base, end)) {",
        replacement="\t\t\tif (memblock_double_array(t, base, end) || 1) {",
        tests=["test_memmap_reserve"],
        fast=False,
    ),
    dict(
        name="kernel-ranges-not-reserved",
        why="mm_init() never reserves the kernel-held ranges in memblock",
        file="mm/init.c",
        original="\tmemblock_reserve_kernel_ranges(m, limit);\n",
        replacement="\t(void)memblock_reserve_kernel_ranges;\n",
        tests=["test_memmap_reserve"],
        fast=True,
    ),
    dict(
        name="zero-cache-shrinker-gives-nothing",
        why="the zero cache's shrinker keeps its pages under pressure",
        file="mm/zero_cache.c",
        original="\tunsigned long freed = zero_cache_release(sc->nr_to_scan);",
        replacement="\tunsigned long freed = zero_cache_release(0 * sc->nr_to_scan);",
        tests=["test_zero_cache"],
        fast=True,
    ),
    dict(
        name="zero-cache-page-not-zeroed",
        why="the balancer caches pages without zeroing them",
        file="mm/zero_cache.c",
        original="\t\tmemset(page_address(page), 0, PAGE_SIZE);\n",
        replacement="",
        tests=["test_zero_cache"],
        fast=True,
    ),
    dict(
        name="exclusive-not-scrubbed",
        why="a freed exclusive page is not scrubbed (mm/exclusive.c:scrub_page(), the one "
            "zeroing of the scrubber, the inline scrub and the free over the reserve's "
            "target): the next owner, exclusive or not, reads the old owner's data",
        file="mm/exclusive.c",
        original="\tmemset(page_address(page), 0, PAGE_SIZE << order); /* the scrub */\n",
        replacement="\t(void)page; /* the scrub, gone */\n\t(void)order;\n",
        tests=["test_exclusive", "test_mm_ktest"],
        fast=True,
    ),
    dict(
        name="pageblock-steal-ignores-alike",
        why="a fallback counts only free pages, not the pages of the new type, when it "
            "decides whether to take the whole pageblock (Linux's alike pages)",
        file="mm/buddy.c",
        original="+ alike",
        replacement="",
        tests=["test_migratetype"],
        fast=True,
    ),
    dict(
        name="unreserve-leaves-buddies-apart",
        why="a highatomic pageblock given back keeps its free block apart from its free "
            "buddy (no re-merge after unreserve_highatomic_pageblock(), as Linux 6.1)",
        file="mm/buddy.c",
        original="\t\t\t__merge_pageblock_start(zone, pfn);\n",
        replacement="\t\t\t(void)__merge_pageblock_start;\n",
        tests=["test_migratetype", "test_page_alloc_model"],
        fast=True,
    ),
    dict(
        name="migration-loses-contents",
        why="migrate_page() moves the handle but not the contents",
        file="mm/migrate.c",
        original="\t\tmemcpy(page_address(newpage), page_address(page), PAGE_SIZE);\n",
        replacement="",
        tests=["test_compaction"],
        fast=True,
    ),
    dict(
        name="pcp-sets-for-empty-zones",
        why="pcp_alloc_sets() gives every zone of the nodes in use list sets, empty ones too: "
            "the memory the change saves is spent again",
        file="mm/pcp.c",
        original="if ((int)nid < nr_node_ids && z->present_pages) {",
        replacement="if ((int)nid < nr_node_ids) {",
        tests=["test_pcp", "test_mm_ktest"],
        fast=True,
    ),
    dict(
        name="pcp-set-pointer-not-rebased",
        why="pcp_rebase_rings() rebases the ring entries but not zone->pcp[cpu]: the sets "
            "are reached through the dropped identity map",
        file="mm/pcp.c",
        original="\t\t\tz->pcp[cpu] = (struct per_cpu_pages *)((unsigned long)pcp + delta);\n",
        replacement="",
        tests=["test_pcp"],
        fast=True,
    ),
    dict(
        name="pcp-cpu-beyond-sets-ignored",
        why="pcp_cpu_up() lets a CPU without list sets come online with the lists on: its "
            "refill dereferences a NULL set",
        file="mm/pcp.c",
        original="\tif (cpu < pcp_nr_cpus || pcp_cpu_lost)\n\t\treturn;",
        replacement="\treturn;",
        tests=["test_pcp"],
        fast=True,
    ),
]
