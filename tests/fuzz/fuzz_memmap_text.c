/*
 * fuzz_memmap_text.c - libFuzzer harness for the log parser behind
 * tools/memmap (tests/host/lib/memmap_text.c): any pasted text, in both
 * output forms. It must never crash or overrun (ASan/UBSan), must say
 * MEMMAP_TEXT_NO_TABLE exactly when no table line was read, must print
 * nothing unless it found a table, and a bad line it reports must be one
 * the input holds. The seed corpus is tests/data/dmesg/.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <labyrinth/printk.h>
#include "tests/host/lib/memmap_text.h"

#include "tests/fuzz/quiet_printk.h"

#define CHECK(c)                                                                                   \
	do {                                                                                       \
		if (!(c)) {                                                                        \
			fprintf(stderr, "fuzz_memmap_text: failed: %s (line %d)\n", #c, __LINE__); \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static struct memmap_text_input in;
static char out[1 << 18];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	enum memmap_text_status st;
	unsigned int flags;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	for (flags = 0; flags <= MEMMAP_TEXT_MACHINE; flags += MEMMAP_TEXT_MACHINE) {
		st = memmap_text_process(text, 46, 48, out, sizeof(out), flags, &in);
		CHECK(st == MEMMAP_TEXT_OK || !out[0]);
		CHECK((st == MEMMAP_TEXT_NO_TABLE) == (!in.bad_line && !in.e820.nr && !in.nr_efi));
		CHECK(st != MEMMAP_TEXT_BAD_LINE ||
		      (in.bad_line && strlen(in.bad) < sizeof(in.bad)));
	}
	free(text);
	return 0;
}
