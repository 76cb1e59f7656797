/*
 * tools/memmap.c - what Labyrinth makes of your machine's memory map.
 *
 *   dmesg | grep -E 'BIOS-e820|efi: mem' | build/tools/memmap
 *   build/tools/memmap [-b phys_bits] [-d efi_desc_size] [file]
 *   build/tools/memmap --svg [-o out.svg] [-b ...] [-d ...] [file]
 *
 * Reads the map as Linux prints it (BIOS-e820: [mem ...] type, or
 * efi: memNN: [...] range=[...] lines), runs the kernel's own normalizer
 * (mm/memmap.c) on it, and prints the normalized map in the same
 * [mem ...] format, the zones and the usable totals. What the normalizer
 * complains about (FW_BUG, dropped entries) goes to stderr.
 * Parsing and printing: tests/host/lib/memmap_text.c.
 *
 * --svg: the same normalized map, zones and all, drawn as a picture by
 * tools/memmap-svg.py (found next to this tool's source tree: the directory
 * two levels above the binary, build/tools/memmap, or $LABYRINTH_ROOT), to
 * stdout or to the file given with -o.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <labyrinth/printk.h>
#include "tests/host/lib/memmap_text.h"

int console_loglevel = 7;

/* The normalizer's printk: its warnings, to stderr. */
int vprintk(const char *fmt, va_list ap)
{
	if (fmt[0] == KERN_SOH[0] && fmt[1])
		fmt += 2;
	fputs("memmap: ", stderr);
	return vfprintf(stderr, fmt, ap);
}

int printk(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk(fmt, ap);
	va_end(ap);
	return n;
}

void __warn(const char *file, int line, const char *cond)
{
	fprintf(stderr, "WARNING: at %s:%d: %s\n", file, line, cond);
}

void panic(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	abort();
}

static char *read_all(FILE *f)
{
	size_t cap = 1 << 16, n = 0, r;
	char *buf = malloc(cap);

	while (buf && (r = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += r;
		if (n + 1 == cap)
			buf = realloc(buf, cap *= 2);
	}
	if (buf)
		buf[n] = '\0';
	return buf;
}

/* Pipes the normalized text into tools/memmap-svg.py; its exit status. */
static int draw_svg(const char *text, const char *outfile)
{
	char exe[PATH_MAX], cmd[2 * PATH_MAX + 64], *slash;
	const char *root = getenv("LABYRINTH_ROOT");
	ssize_t n;
	FILE *p;
	int i;

	if (!root) {
		n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (n <= 0)
			return perror("memmap: /proc/self/exe"), 1;
		exe[n] = '\0';
		for (i = 0; i < 3 && (slash = strrchr(exe, '/')); i++)
			*slash = '\0'; /* <root>/build/tools/memmap -> <root> */
		root = exe;
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/tools/memmap-svg.py'%s%s%s", root,
		 outfile ? " -o '" : "", outfile ? outfile : "", outfile ? "'" : "");
	p = popen(cmd, "w");
	if (!p)
		return perror("memmap: popen"), 1;
	fputs(text, p);
	return pclose(p) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
	const char *svg_out = NULL;
	bool svg = false;
	unsigned int bits = 46, desc = 48;
	static char out[1 << 20];
	char *text;
	FILE *f = stdin;
	int c;

	for (c = 1; c < argc; c++) /* --svg anywhere: drop it before getopt */
		if (!strcmp(argv[c], "--svg")) {
			svg = true;
			memmove(&argv[c], &argv[c + 1], (size_t)(argc - c) * sizeof(*argv));
			argc--;
			break;
		}
	while ((c = getopt(argc, argv, "b:d:o:h")) != -1) {
		if (c == 'o')
			svg_out = optarg;
		else if (c == 'b')
			bits = (unsigned int)strtoul(optarg, NULL, 0);
		else if (c == 'd')
			desc = (unsigned int)strtoul(optarg, NULL, 0);
		else {
			fprintf(stderr,
				"usage: %s [--svg [-o out.svg]] [-b phys_bits] [-d efi_desc_size] "
				"[file]\n",
				argv[0]);
			return c == 'h' ? 0 : 2;
		}
	}
	if (optind < argc && !(f = fopen(argv[optind], "r"))) {
		perror(argv[optind]);
		return 1;
	}
	text = read_all(f);
	if (!text)
		return 1;
	memmap_text_process(text, bits, desc, out, sizeof(out));
	free(text);
	if (svg)
		return draw_svg(out, svg_out);
	fputs(out, stdout);
	return 0;
}
