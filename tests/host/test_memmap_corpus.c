/*
 * test_memmap_corpus.c - the golden corpus (tests/data/memmaps/): every
 * NAME.txt, normalized, must print exactly NAME.expected; EFI maps are also
 * fed as raw descriptors of 40 and 48 bytes (same result) and of 32 bytes
 * (rejected). Run from the repository root (make check-host does).
 */
#include <dirent.h>
#include <string.h>

#include <labyrinth/memmap.h>
#include "host.h"
#include "lib/memmap_text.h"

#define CORPUS "tests/data/memmaps"

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

static void first_difference(const char *a, const char *b)
{
	int line = 1;

	for (; *a && *a == *b; a++, b++)
		line += *a == '\n';
	printf("#   first difference at line %d\n#   got:  %.100s\n#   want: %.100s\n", line, a, b);
}

static void check_one(const char *name)
{
	static char out[1 << 18];
	char path[512];
	char *text, *want;

	snprintf(path, sizeof(path), CORPUS "/%s.txt", name);
	text = slurp(path);
	snprintf(path, sizeof(path), CORPUS "/%s.expected", name);
	want = slurp(path);
	if (!ok(text && want, "%s: input and expected output exist", name))
		return;
	host_log_quiet = true;
	memmap_text_process(text, 46, 48, out, sizeof(out), 0, NULL);
	host_log_quiet = false;
	if (!ok(!strcmp(out, want), "%s: normalized map as expected", name))
		first_difference(out, want);
	if (strstr(text, "efi: mem")) {
		static char out40[1 << 18];

		host_log_quiet = true;
		memmap_text_process(text, 46, 40, out40, sizeof(out40), 0, NULL);
		memmap_text_process(text, 46, 32, out, sizeof(out), 0, NULL);
		host_log_quiet = false;
		ok(!strcmp(out40, want), "%s: 40-byte descriptors give the same map", name);
		ok(strcmp(out, want) != 0 && host_log_contains("descriptor size 32"),
		   "%s: 32-byte descriptors are rejected", name);
	}
	free(text);
	free(want);
}

int main(void)
{
	DIR *d = opendir(CORPUS);
	struct dirent *e;
	unsigned int n = 0;

	if (!d) {
		printf("Bail out! %s not found (run from the repository root)\n", CORPUS);
		return 1;
	}
	while ((e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[256];

		if (len < 5 || strcmp(e->d_name + len - 4, ".txt") || len - 4 >= sizeof(name))
			continue;
		memcpy(name, e->d_name, len - 4);
		name[len - 4] = '\0';
		check_one(name);
		n++;
	}
	closedir(d);
	ok(n >= 11, "corpus has %u maps", n);
	return done_testing();
}
