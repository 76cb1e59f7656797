/*
 * test_cmdline.c - host tests of the command-line parser (kernel/cmdline.c):
 * well-formed parameters of every type, and every kind of bad input, which
 * must be reported by name and leave the default in place.
 */
#include <string.h>

#include <labyrinth/cmdline.h>
#include <labyrinth/compiler.h>
#include "host.h"

static const struct kernel_param params[] = {
	{ "loglevel", PARAM_UINT, 0, 7, 6, NULL, "" },
	{ "seed", PARAM_UINT, 0, UINT64_MAX, 0, NULL, "" },
	{ "labyrinth", PARAM_SIZE, 4096, 4 << 20, 32768, NULL, "" },
	{ "debug", PARAM_BOOL, 0, 1, 0, NULL, "" },
	{ "trace", PARAM_STRING, 0, 0, 0, "none", "" },
};

static struct param_value values[ARRAY_SIZE(params)];
static struct cmdline cl;

static void parse(const char *s)
{
	host_log_clear();
	cmdline_parse(&cl, params, values, ARRAY_SIZE(params), s);
}

static void test_defaults(void)
{
	parse("");
	is_u64(cmdline_num(&cl, "loglevel"), 6, "empty: loglevel default");
	is_u64(cmdline_num(&cl, "labyrinth"), 32768, "empty: size default");
	ok(!cmdline_bool(&cl, "debug"), "empty: bool default off");
	ok(!strcmp(cmdline_str(&cl, "trace"), "none"), "empty: string default");
	ok(!cmdline_is_set(&cl, "loglevel"), "empty: nothing set");
	parse(NULL);
	is_u64(cl.nr_unknown + cl.nr_invalid, 0, "NULL command line is empty");
}

static void test_well_formed(void)
{
	parse("  loglevel=3   seed=0xDEADbeef labyrinth=64K debug trace=\"alloc free\"\n");
	is_u64(cmdline_num(&cl, "loglevel"), 3, "decimal");
	is_u64(cmdline_num(&cl, "seed"), 0xdeadbeef, "hex, mixed case");
	is_u64(cmdline_num(&cl, "labyrinth"), 65536, "size with K suffix");
	ok(cmdline_bool(&cl, "debug"), "bare boolean key means on");
	ok(!strcmp(cmdline_str(&cl, "trace"), "alloc free"), "quoted value keeps spaces");
	is_u64(cl.nr_unknown + cl.nr_invalid, 0, "no complaints");
	parse("labyrinth=1m debug=off loglevel=1 loglevel=7");
	is_u64(cmdline_num(&cl, "labyrinth"), 1 << 20, "lower-case M suffix");
	ok(!cmdline_bool(&cl, "debug"), "debug=off");
	is_u64(cmdline_num(&cl, "loglevel"), 7, "last occurrence wins");
	parse("seed=18446744073709551615");
	is_u64(cmdline_num(&cl, "seed"), UINT64_MAX, "largest u64");
}

struct bad_case {
	const char *line, *key, *reason;
};

static const struct bad_case bad[] = {
	{ "loglevel=8", "loglevel", "out of range" },
	{ "loglevel=", "loglevel", "not a number" },
	{ "loglevel", "loglevel", "needs a value" },
	{ "loglevel=3x", "loglevel", "trailing characters" },
	{ "loglevel=-1", "loglevel", "not a number" },
	{ "seed=18446744073709551616", "seed", "number too large" },
	{ "seed=0x", "seed", "not a number" },
	{ "labyrinth=64Q", "labyrinth", "unknown size suffix" },
	{ "labyrinth=64KB", "labyrinth", "unknown size suffix" },
	{ "labyrinth=1K", "labyrinth", "out of range" },
	{ "labyrinth=17179869184G", "labyrinth", "number too large" },
	{ "debug=maybe", "debug", "expected a boolean" },
};

static void test_bad_values(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		parse(bad[i].line);
		ok(cl.nr_invalid == 1 && host_log_contains(bad[i].reason) &&
		       !cmdline_is_set(&cl, bad[i].key),
		   "'%s' rejected: %s", bad[i].line, bad[i].reason);
		ok(host_log_contains("using the default"), "'%s' keeps the default", bad[i].line);
	}
	parse("loglevel=9 loglevel=2");
	is_u64(cmdline_num(&cl, "loglevel"), 2, "a later valid value still applies");
	parse("labyrinth=1K");
	is_u64(cmdline_num(&cl, "labyrinth"), 32768, "rejected size keeps the default");
}

static void test_unknown_and_odd(void)
{
	char longline[600];

	parse("bogus=1 alsobogus");
	is_u64(cl.nr_unknown, 2, "unknown keys counted");
	ok(host_log_contains("unknown parameter 'bogus' ignored"), "unknown key reported");
	parse("=5");
	is_u64(cl.nr_invalid, 1, "empty key rejected");
	memset(longline, 'a', sizeof(longline) - 1);
	memcpy(longline, "trace=", 6);
	longline[sizeof(longline) - 1] = '\0';
	parse(longline);
	ok(cl.nr_invalid == 1 && host_log_contains("value too long"), "overlong value rejected");
	ok(!strcmp(cmdline_str(&cl, "trace"), "none"), "overlong value keeps the default");
	parse("trace=\"unterminated quote debug");
	ok(!cmdline_bool(&cl, "debug"), "unterminated quote swallows the rest, safely");
}

int main(void)
{
	test_defaults();
	test_well_formed();
	test_bad_values();
	test_unknown_and_odd();
	return done_testing();
}
