/*
 * options.c - the kernel command line from the loader's load options
 * (UCS-2) or from \cmdline.txt (ASCII).
 *
 * Pure code (see loadlib.h), used by boot/efi/loader.c; the kernel parses
 * the result in kernel/cmdline.c. Both inputs go through one normaliser
 * that reads characters through a tiny source abstraction, so UCS-2 needs
 * no temporary buffer and unaligned load options are fine.
 */
#include <boot/efi/loadlib.h>

struct text_src {
	const u8 *p;
	u64 n;	   /* characters */
	u32 width; /* bytes per character: 1 (ASCII) or 2 (UCS-2) */
};

static u16 src_char(const struct text_src *s, u64 i)
{
	u16 c;

	if (s->width == 1)
		return s->p[i];
	__builtin_memcpy(&c, s->p + 2 * i, 2); /* little-endian, like the CPU */
	return c;
}

/* The length up to the first NUL; -1 when a character is not text. */
static s64 text_len(const struct text_src *s)
{
	u64 i;

	for (i = 0; i < s->n; i++) {
		u16 c = src_char(s, i);

		if (c == 0)
			break;
		if (c != '\t' && c != '\r' && c != '\n' && (c < 0x20 || c > 0x7e))
			return -1;
	}
	return (s64)i;
}

static bool is_space(u16 c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static u16 lower(u16 c)
{
	return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
}

/* Does the word [start, end) name an image (what the shell passes first)? */
static bool is_image_path(const struct text_src *s, u64 start, u64 end)
{
	static const char ext[] = ".efi";
	bool pathy = false;
	u64 i;

	for (i = start; i < end; i++) {
		u16 c = src_char(s, i);

		if (c == '=')
			return false;
		if (c == '\\' || c == '/' || c == ':')
			pathy = true;
	}
	if (pathy || end - start < 4)
		return pathy;
	for (i = 0; i < 4; i++)
		if (lower(src_char(s, end - 4 + i)) != (u16)ext[i])
			return false;
	return true;
}

/* Copy [start, end) trimmed, whitespace as spaces, into out. */
static enum opts_result emit(const struct text_src *s, u64 start, u64 end, char *out, u32 outsz)
{
	u32 n = 0;

	while (start < end && is_space(src_char(s, start)))
		start++;
	while (end > start && is_space(src_char(s, end - 1)))
		end--;
	for (; start < end && n + 1 < outsz; start++) {
		u16 c = src_char(s, start);

		out[n++] = is_space(c) ? ' ' : (char)c;
	}
	out[n] = '\0';
	if (start < end)
		return OPTS_TRUNCATED;
	return n ? OPTS_OK : OPTS_EMPTY;
}

static enum opts_result normalise(const struct text_src *s, bool strip_image, char *out, u32 outsz)
{
	s64 len;
	u64 start = 0, word_end;

	if (!outsz)
		return OPTS_TRUNCATED;
	out[0] = '\0';
	len = text_len(s);
	if (len < 0)
		return OPTS_NOT_TEXT;
	while (start < (u64)len && is_space(src_char(s, start)))
		start++;
	word_end = start;
	while (word_end < (u64)len && !is_space(src_char(s, word_end)))
		word_end++;
	if (strip_image && word_end > start && is_image_path(s, start, word_end))
		start = word_end;
	return emit(s, start, (u64)len, out, outsz);
}

enum opts_result opts_from_ucs2(const void *opts, u64 bytes, char *out, u32 outsz)
{
	struct text_src s = { .p = opts, .n = opts ? bytes / 2 : 0, .width = 2 };

	return normalise(&s, true, out, outsz);
}

enum opts_result opts_from_ascii(const void *text, u64 len, char *out, u32 outsz)
{
	struct text_src s = { .p = text, .n = text ? len : 0, .width = 1 };

	return normalise(&s, false, out, outsz);
}

const char *opts_result_name(enum opts_result r)
{
	switch (r) {
	case OPTS_EMPTY: return "empty";
	case OPTS_OK: return "ok";
	case OPTS_TRUNCATED: return "truncated";
	case OPTS_NOT_TEXT: return "not printable ASCII text";
	}
	return "?";
}
