/*
 * cmdline.h - the kernel command line as typed key=value parameters.
 *
 * Every parameter the kernel understands is declared once, with its type,
 * range, default and a line of help, in the table of kernel/params.c (the
 * one place to read them all, like Linux's kernel-parameters.txt). The
 * parser (kernel/cmdline.c) checks each value against its declaration:
 * unknown keys warn, malformed or out-of-range values are reported with the
 * reason and the default is kept. Nothing is lost and the boot goes on.
 *
 * Syntax: parameters separated by spaces; key=value or a bare key (allowed
 * for booleans, meaning true); a value may be "double quoted" to hold
 * spaces. The last occurrence of a key wins.
 */
#ifndef LABYRINTH_CMDLINE_H
#define LABYRINTH_CMDLINE_H

#include <labyrinth/types.h>

enum param_type {
	PARAM_BOOL,   /* 1/0, y/n, yes/no, on/off, true/false */
	PARAM_UINT,   /* decimal or 0x-hex, within [min, max] */
	PARAM_SIZE,   /* like UINT, with an optional K/M/G suffix (powers of 1024) */
	PARAM_STRING, /* up to CMDLINE_VALUE_MAX-1 characters */
};

#define CMDLINE_VALUE_MAX 128

struct kernel_param {
	const char *name;
	enum param_type type;
	u64 min, max;	     /* numeric types */
	u64 def;	     /* numeric default */
	const char *def_str; /* string default */
	const char *help;
};

struct param_value {
	bool set; /* given on the command line and valid */
	u64 num;
	char str[CMDLINE_VALUE_MAX];
};

struct cmdline {
	const struct kernel_param *params;
	struct param_value *values; /* one per params[] entry */
	size_t nr_params;
	unsigned int nr_unknown; /* keys not in the table */
	unsigned int nr_invalid; /* values rejected (default kept) */
};

/* Parses str against params[]; values[] must have nr entries. */
void cmdline_parse(struct cmdline *cl, const struct kernel_param *params,
		   struct param_value *values, size_t nr, const char *str);
u64 cmdline_num(const struct cmdline *cl, const char *name);
bool cmdline_bool(const struct cmdline *cl, const char *name);
const char *cmdline_str(const struct cmdline *cl, const char *name);
bool cmdline_is_set(const struct cmdline *cl, const char *name);

/* The kernel's own command line (kernel/params.c). */
void kernel_cmdline_init(const char *str);
u64 param_num(const char *name);
bool param_bool(const char *name);
const char *param_str(const char *name);
bool param_is_set(const char *name);
/* seed= or, when 0/absent, one drawn from the TSC; printed once. */
u64 boot_seed(void);

#endif
