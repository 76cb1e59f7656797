/*
 * types.h - fixed-width integer types shared by the kernel and the host builds.
 *
 * The compiler's freestanding headers (<stdint.h>, <stddef.h>, <stdbool.h>)
 * are available in both worlds, so this file needs no configuration.
 * Compiler helpers live in compiler.h.
 */
#ifndef LABYRINTH_TYPES_H
#define LABYRINTH_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int8_t s8;
typedef int16_t s16;
typedef int32_t s32;
typedef int64_t s64;

/* A physical address; never dereferenced directly, see __va() in mm.h. */
typedef u64 phys_addr_t;

#endif
