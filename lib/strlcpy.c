/*
 * strlcpy.c - lab_strlcpy(), the bounded string copy generic code uses in
 * both builds (so it is also compiled for the host: see HOST_LIB_C).
 */
#include <labyrinth/string.h>

size_t lab_strlcpy(char *dst, const char *src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;

		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}
