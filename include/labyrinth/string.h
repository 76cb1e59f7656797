/*
 * string.h - memory and string functions with the C library's names and
 * signatures. The kernel's implementations are in lib/string.c; host builds
 * use the C library's, so generic code includes this header in both.
 * snprintf/vsnprintf (kernel: lib/vsnprintf.c) are declared here too.
 */
#ifndef LABYRINTH_STRING_H
#define LABYRINTH_STRING_H

#include <stdarg.h>
#include <labyrinth/types.h>

void *memset(void *s, int c, size_t n);
void *memcpy(void *restrict dst, const void *restrict src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
char *strstr(const char *haystack, const char *needle);
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
/* Not in every C library: copies at most size-1 bytes and NUL-terminates. */
size_t lab_strlcpy(char *dst, const char *src, size_t size);

#endif
