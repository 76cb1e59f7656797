/*
 * ksyms.h - kernel symbol lookup for symbolized backtraces.
 *
 * The table is generated at build time by tools/gen_ksyms.py from the
 * first link's `nm -n` and linked into section .ksyms by the second link;
 * kernel/ksyms.c searches it. Users: arch/x86_64/traps.c (RIP in exception
 * reports) and arch/x86_64/stacktrace.c ("Call Trace:").
 */
#ifndef LABYRINTH_KSYMS_H
#define LABYRINTH_KSYMS_H

#include <labyrinth/types.h>

/*
 * The name of the text symbol containing addr, or NULL if none does;
 * *offset = addr - symbol start, *size = the symbol's size (either may be NULL).
 */
const char *ksym_lookup(u64 addr, u64 *offset, u64 *size);

/* Formats addr as "func+0x12/0x40" (or "0x<addr>" when unknown) into buf. */
int ksym_snprint(char *buf, size_t len, u64 addr);

/* Number of symbols in the table (0 in the first link). */
u64 ksym_count(void);

#endif
