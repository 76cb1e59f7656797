/*
 * tools/memmap.c - what Labyrinth makes of your machine's memory map.
 *
 *   sudo dmesg | build/tools/memmap          (or journalctl -k -b, /var/log/kern.log)
 *   build/tools/memmap [-b phys_bits] [-d efi_desc_size] [file]
 *   build/tools/memmap --svg [-o out.svg] [file]
 *   build/tools/memmap --machine [file]
 *
 * Finds the firmware's table in a whole kernel log (tests/host/lib/
 * memmap_text.h says which lines, which formats, and what is ignored), runs
 * the kernel's own normalizer (mm/memmap.c) on it, and prints the
 * normalized map in the same [mem ...] format, the zones, the nodes and the
 * usable totals. What the normalizer complains about (FW_BUG, dropped
 * entries) goes to stderr. No table, or a table line it cannot read: exit
 * status 1 and a message saying what it expects.
 *
 * --machine: the same result as tab-separated records (the one parser's
 * output that tools/memmap-svg.py reads). --svg: that output drawn by
 * tools/memmap-svg.py (found two levels above the binary, build/tools/memmap,
 * or in $LABYRINTH_ROOT), to stdout or to the file given with -o.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <labyrinth/layout.h>
#include <labyrinth/printk.h>
#include "tests/host/lib/memmap_text.h"

int console_loglevel = 7;

/*
 * Set when the normalizer says the SMP trampoline page is not RAM: a remark
 * about Labyrinth's own boot, reworded for someone else's map (main()).
 */
static bool trampoline_not_ram;

/* The normalizer's printk: its warnings, to stderr. */
int vprintk(const char *fmt, va_list ap)
{
	if (fmt[0] == KERN_SOH[0] && fmt[1])
		fmt += 2;
	if (strstr(fmt, "SMP trampoline")) {
		trampoline_not_ram = true;
		return 0;
	}
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

/* Pipes the machine-readable result into tools/memmap-svg.py; its exit status. */
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
	if (strchr(root, '\'') || (outfile && strchr(outfile, '\''))) {
		fputs("memmap: --svg: a path with a ' in it is not supported\n", stderr);
		return 2;
	}
	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 '%s/tools/memmap-svg.py'%s%s%s", root,
		 outfile ? " -o '" : "", outfile ? outfile : "", outfile ? "'" : "");
	p = popen(cmd, "w");
	if (!p)
		return perror("memmap: popen"), 1;
	fputs(text, p);
	return pclose(p) == 0 ? 0 : 1;
}

static const char usage[] =
    "usage: memmap [--svg [-o out.svg] | --machine] [-b phys_bits] [-d efi_desc_size] [file]\n"
    "\n"
    "Reads a kernel log (a file, or stdin): `sudo dmesg`, `journalctl -k -b`,\n"
    "/var/log/kern.log or just the map's lines, and prints what Labyrinth makes of\n"
    "the firmware's memory map: the normalized map, zones, NUMA nodes, totals.\n"
    "\n"
    "It looks for the table Linux prints at boot:\n"
    "  BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable\n"
    "  BIOS-e820: 0000000000000000 - 000000000009fc00 (usable)       (2.6-era kernels)\n"
    "  efi: mem07: [Conventional|...] range=[0x...-0x...] (..MB)     (boot with efi=debug;\n"
    "                                                                used only without e820)\n"
    "Linux's own edits (e820: update/remove, reserve setup_data:, modified:) are not\n"
    "applied: this is the firmware's table. Several boots in one log: the last one.\n"
    "\n"
    "  --svg          draw it (tools/memmap-svg.py); -o FILE writes there, not stdout\n"
    "  --machine      tab-separated records (entry/zone/node START END), for scripts\n"
    "  -b BITS        physical address bits to clip at (default 46)\n"
    "  -d BYTES       EFI descriptor stride to rebuild efi: lines with (default 48)\n"
    "  -h, --help     this text\n";

/* Explains a failed parse on stderr; the exit status. */
static int explain(enum memmap_text_status st, const struct memmap_text_input *in, const char *name)
{
	if (st == MEMMAP_TEXT_BAD_LINE) {
		fprintf(stderr, "memmap: %s:%u: a memory map line I cannot read:\n  %s\n", name,
			in->bad_line, in->bad);
		fprintf(stderr, "memmap: expected `BIOS-e820: [mem 0xSTART-0xEND] type`, "
				"`BIOS-e820: START - END (type)` or `efi: memNN: [...] "
				"range=[0xSTART-0xEND]`\n");
		return 1;
	}
	fprintf(stderr,
		"memmap: %s: no firmware memory map found: no `BIOS-e820:` or `efi: memNN:` line.\n"
		"memmap: paste the whole boot log: `sudo dmesg` (the first lines hold the map;\n"
		"memmap: if they have scrolled out of the ring buffer, `journalctl -k -b` or\n"
		"memmap: /var/log/kern.log still has them). `memmap --help` shows the formats.\n",
		name);
	return 1;
}

/* Removes long option opt from argv; true if it was there. */
static bool take_flag(int *argc, char **argv, const char *opt)
{
	int c;

	for (c = 1; c < *argc && strcmp(argv[c], "--"); c++)
		if (!strcmp(argv[c], opt)) {
			memmove(&argv[c], &argv[c + 1], (size_t)(*argc - c) * sizeof(*argv));
			(*argc)--;
			return true;
		}
	return false;
}

static unsigned int number(const char *arg, const char *what, unsigned int lo, unsigned int hi)
{
	char *end;
	unsigned long v = strtoul(arg, &end, 0);

	if (*arg && !*end && v >= lo && v <= hi)
		return (unsigned int)v;
	fprintf(stderr, "memmap: %s must be a number from %u to %u, not '%s'\n", what, lo, hi, arg);
	exit(2);
}

int main(int argc, char **argv)
{
	static struct memmap_text_input in;
	static char out[1 << 20];
	bool svg, machine, help;
	const char *svg_out = NULL, *name = "<stdin>";
	unsigned int bits = 46, desc = 48;
	enum memmap_text_status st;
	FILE *f = stdin;
	char *text;
	int c;

	svg = take_flag(&argc, argv, "--svg");
	machine = take_flag(&argc, argv, "--machine");
	help = take_flag(&argc, argv, "--help");
	while (!help && (c = getopt(argc, argv, "b:d:o:h")) != -1) {
		if (c == 'o')
			svg_out = optarg;
		else if (c == 'b')
			bits = number(optarg, "-b (physical address bits)", 32, 52);
		else if (c == 'd')
			desc = number(optarg, "-d (EFI descriptor size)", 40, 4096);
		else if (c == 'h')
			help = true;
		else
			return fputs(usage, stderr), 2;
	}
	if (help)
		return fputs(usage, stdout), 0;
	if (svg_out && !svg)
		return fputs("memmap: -o names the SVG file: it needs --svg\n", stderr), 2;
	if (svg && machine)
		return fputs("memmap: --svg and --machine are two outputs: pick one\n", stderr), 2;
	if (optind + 1 < argc)
		return fputs("memmap: one input file at most (or stdin)\n", stderr), 2;
	if (optind < argc && !(f = fopen(name = argv[optind], "r"))) {
		fprintf(stderr, "memmap: %s: %s\n", argv[optind], strerror(errno));
		return 1;
	}
	text = read_all(f);
	if (!text)
		return 1;
	st = memmap_text_process(text, bits, desc, out, sizeof(out),
				 svg || machine ? MEMMAP_TEXT_MACHINE : 0, &in);
	free(text);
	if (st != MEMMAP_TEXT_OK)
		return explain(st, &in, name);
	if (in.nr_tables)
		fprintf(stderr,
			"memmap: %u earlier boot(s) in the log; this is the last one's map\n",
			in.nr_tables);
	if (trampoline_not_ram)
		fprintf(
		    stderr,
		    "memmap: note: [mem 0x%llx-0x%llx] is not RAM here; Labyrinth keeps its SMP "
		    "trampoline there, so on this machine it would start only the boot CPU\n",
		    (unsigned long long)SMP_TRAMPOLINE_START,
		    (unsigned long long)SMP_TRAMPOLINE_END - 1);
	if (svg)
		return draw_svg(out, svg_out);
	fputs(out, stdout);
	return 0;
}
