/*
 * cmdline.c - parse the kernel command line into typed parameters.
 *
 * Generic and host-tested (tests/host/test_cmdline.c). The table of
 * parameters the kernel knows is kernel/params.c; the command line itself
 * comes from struct boot_info (boot/boot_info.h), whichever way we booted.
 * Every rejected value is reported with its reason and leaves the
 * parameter at its default.
 */
#define pr_fmt(fmt) "cmdline: " fmt

#include <labyrinth/cmdline.h>
#include <labyrinth/printk.h>
#include <labyrinth/string.h>

static const char *skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t' || *s == '\n')
		s++;
	return s;
}

/*
 * Copies one token "key[=value]" out of s into key/val (bounded) and returns
 * the position after it. *has_val tells whether '=' was present; *too_long
 * whether key or value had to be cut.
 */
static const char *next_token(const char *s, char *key, size_t ksz, char *val, size_t vsz,
			      bool *has_val, bool *too_long)
{
	size_t k = 0, v = 0;
	bool quoted = false;

	*has_val = false;
	*too_long = false;
	for (; *s && *s != ' ' && *s != '\t' && *s != '\n' && *s != '='; s++) {
		if (k + 1 < ksz)
			key[k++] = *s;
		else
			*too_long = true;
	}
	key[k] = '\0';
	if (*s == '=') {
		*has_val = true;
		for (s++; *s && (quoted || (*s != ' ' && *s != '\t' && *s != '\n')); s++) {
			if (*s == '"') {
				quoted = !quoted;
				continue;
			}
			if (v + 1 < vsz)
				val[v++] = *s;
			else
				*too_long = true;
		}
	}
	val[v] = '\0';
	return s;
}

/* Parses an unsigned integer (decimal or 0x-hex) with an optional K/M/G suffix. */
static const char *parse_u64(const char *s, bool suffix_ok, u64 *out)
{
	unsigned int base = 10, shift = 0;
	u64 v = 0;
	bool any = false;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
		base = 16, s += 2;
	for (;; s++, any = true) {
		unsigned int d;

		if (*s >= '0' && *s <= '9')
			d = (unsigned int)(*s - '0');
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = (unsigned int)(*s - 'a' + 10);
		else if (base == 16 && *s >= 'A' && *s <= 'F')
			d = (unsigned int)(*s - 'A' + 10);
		else
			break;
		if (v > (UINT64_MAX - d) / base)
			return "number too large";
		v = v * base + d;
	}
	if (!any)
		return "not a number";
	if (suffix_ok && *s) {
		const char *units = "KMG";
		const char *u = strchr(units, *s & ~0x20);

		if (!u || s[1])
			return "unknown size suffix (use K, M or G)";
		shift = 10 * (unsigned int)(u - units + 1);
		if (v > (UINT64_MAX >> shift))
			return "number too large";
		v <<= shift;
		s++;
	}
	if (*s)
		return "trailing characters after the number";
	*out = v;
	return NULL;
}

static const char *parse_bool(const char *s, u64 *out)
{
	static const char *const yes[] = { "1", "y", "yes", "on", "true" };
	static const char *const no[] = { "0", "n", "no", "off", "false" };

	for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
		if (!strcmp(s, yes[i]))
			return *out = 1, NULL;
		if (!strcmp(s, no[i]))
			return *out = 0, NULL;
	}
	return "expected a boolean (1/0, y/n, yes/no, on/off, true/false)";
}

/* Checks val against p; on success stores it in *pv and returns NULL. */
static const char *parse_value(const struct kernel_param *p, const char *val, bool has_val,
			       struct param_value *pv)
{
	const char *why;
	u64 num = 0;

	if (!has_val)
		return p->type == PARAM_BOOL ? (pv->num = 1, NULL) : "needs a value (key=value)";
	switch (p->type) {
	case PARAM_BOOL: why = parse_bool(val, &num); break;
	case PARAM_UINT:
	case PARAM_SIZE:
		why = parse_u64(val, p->type == PARAM_SIZE, &num);
		if (!why && (num < p->min || num > p->max))
			why = "out of range";
		break;
	case PARAM_STRING: lab_strlcpy(pv->str, val, sizeof(pv->str)); return NULL;
	default: return "parameter has an unknown type";
	}
	if (!why)
		pv->num = num;
	return why;
}

static const struct kernel_param *find_param(const struct cmdline *cl, const char *key,
					     struct param_value **pv)
{
	for (size_t i = 0; i < cl->nr_params; i++) {
		if (!strcmp(cl->params[i].name, key)) {
			*pv = &cl->values[i];
			return &cl->params[i];
		}
	}
	return NULL;
}

static void report_invalid(const struct kernel_param *p, const char *val, const char *why)
{
	if (p->type == PARAM_STRING)
		pr_err("invalid value '%s' for %s=: %s; using the default \"%s\"\n", val, p->name,
		       why, p->def_str ? p->def_str : "");
	else if (p->type == PARAM_BOOL)
		pr_err("invalid value '%s' for %s=: %s; using the default %s\n", val, p->name, why,
		       p->def ? "on" : "off");
	else
		pr_err(
		    "invalid value '%s' for %s=: %s (allowed %llu..%llu); using the default %llu\n",
		    val, p->name, why, (unsigned long long)p->min, (unsigned long long)p->max,
		    (unsigned long long)p->def);
}

/* Applies one key[=value] token. */
static void apply_token(struct cmdline *cl, const char *key, const char *val, bool has_val,
			bool too_long)
{
	const struct kernel_param *p;
	struct param_value *pv, tmp = { 0 };
	const char *why;

	p = find_param(cl, key, &pv);
	if (!p) {
		cl->nr_unknown++;
		pr_warn("unknown parameter '%s' ignored\n", key);
		return;
	}
	why = too_long ? "value too long" : parse_value(p, val, has_val, &tmp);
	if (why) {
		cl->nr_invalid++;
		report_invalid(p, val, why);
		return;
	}
	tmp.set = true;
	*pv = tmp;
}

void cmdline_parse(struct cmdline *cl, const struct kernel_param *params,
		   struct param_value *values, size_t nr, const char *str)
{
	char key[64], val[CMDLINE_VALUE_MAX];
	bool has_val, too_long;

	*cl = (struct cmdline){ params, values, nr, 0, 0 };
	for (size_t i = 0; i < nr; i++) {
		values[i] = (struct param_value){ .num = params[i].def };
		lab_strlcpy(values[i].str, params[i].def_str ? params[i].def_str : "",
			    sizeof(values[i].str));
	}
	for (const char *s = skip_spaces(str ? str : ""); *s; s = skip_spaces(s)) {
		s = next_token(s, key, sizeof(key), val, sizeof(val), &has_val, &too_long);
		if (!key[0]) {
			cl->nr_invalid++;
			pr_err("parameter with an empty name ('=%s') ignored\n", val);
			continue;
		}
		apply_token(cl, key, val, has_val, too_long);
	}
}

static const struct param_value *lookup(const struct cmdline *cl, const char *name)
{
	struct param_value *pv = NULL;

	if (!find_param(cl, name, &pv)) {
		WARN_ON(1); /* a parameter the table does not declare */
		return NULL;
	}
	return pv;
}

u64 cmdline_num(const struct cmdline *cl, const char *name)
{
	const struct param_value *pv = lookup(cl, name);

	return pv ? pv->num : 0;
}

bool cmdline_bool(const struct cmdline *cl, const char *name)
{
	return cmdline_num(cl, name) != 0;
}

const char *cmdline_str(const struct cmdline *cl, const char *name)
{
	const struct param_value *pv = lookup(cl, name);

	return pv ? pv->str : "";
}

bool cmdline_is_set(const struct cmdline *cl, const char *name)
{
	const struct param_value *pv = lookup(cl, name);

	return pv && pv->set;
}
