/*
 * vsnprintf.c - formatted output for the kernel (printk in kernel/printk.c
 * builds on it). Supports what the kernel uses: %d %i %u %x %X %o %p %s %c
 * %%, the l/ll/z/h/hh length modifiers, '-', '0', '+', ' ', '#' flags, field
 * width and precision (also as '*'). Like C99, the return value is the
 * length the full output would have had; buf is always NUL-terminated when
 * size > 0.
 */
#include <labyrinth/compiler.h>
#include <labyrinth/string.h>

struct out {
	char *buf;
	size_t size;
	size_t len;
};

struct spec {
	bool left, zero, plus, space, alt;
	int width;
	int prec;   /* -1 when absent */
	int length; /* 0, 'h', 'H' (hh), 'l', 'L' (ll), 'z' */
};

static void put(struct out *o, char c)
{
	if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

static void pad(struct out *o, char c, int n)
{
	while (n-- > 0)
		put(o, c);
}

static void emit_str(struct out *o, const struct spec *sp, const char *s)
{
	int len;

	if (!s)
		s = "(null)";
	len = (int)strnlen(s, sp->prec >= 0 ? (size_t)sp->prec : (size_t)-1);
	if (!sp->left)
		pad(o, ' ', sp->width - len);
	for (int i = 0; i < len; i++)
		put(o, s[i]);
	if (sp->left)
		pad(o, ' ', sp->width - len);
}

/* Formats an unsigned magnitude with sign/prefix, precision and width. */
static void emit_num(struct out *o, const struct spec *sp, u64 v, unsigned int base, bool upper,
		     char sign)
{
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	char tmp[24];
	int n = 0, zeros, total, prefix = 0;

	do {
		tmp[n++] = digits[v % base];
		v /= base;
	} while (v);
	if (sp->prec == 0 && n == 1 && tmp[0] == '0')
		n = 0;
	if (sp->alt && base == 16)
		prefix = 2;
	zeros = sp->prec > n ? sp->prec - n : 0;
	total = n + zeros + prefix + (sign ? 1 : 0);
	if (sp->zero && !sp->left && sp->prec < 0 && sp->width > total) {
		zeros += sp->width - total;
		total = sp->width;
	}
	if (!sp->left)
		pad(o, ' ', sp->width - total);
	if (sign)
		put(o, sign);
	if (prefix) {
		put(o, '0');
		put(o, upper ? 'X' : 'x');
	}
	pad(o, '0', zeros);
	while (n)
		put(o, tmp[--n]);
	if (sp->left)
		pad(o, ' ', sp->width - total);
}

static const char *parse_spec(const char *f, struct spec *sp, va_list *ap)
{
	*sp = (struct spec){ .prec = -1 };
	for (;; f++) {
		if (*f == '-')
			sp->left = true;
		else if (*f == '0')
			sp->zero = true;
		else if (*f == '+')
			sp->plus = true;
		else if (*f == ' ')
			sp->space = true;
		else if (*f == '#')
			sp->alt = true;
		else
			break;
	}
	if (*f == '*') {
		sp->width = va_arg(*ap, int);
		if (sp->width < 0) {
			sp->left = true;
			sp->width = -sp->width;
		}
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (*f++ - '0');
	if (*f == '.') {
		f++;
		sp->prec = 0;
		if (*f == '*') {
			sp->prec = va_arg(*ap, int);
			f++;
		}
		while (*f >= '0' && *f <= '9')
			sp->prec = sp->prec * 10 + (*f++ - '0');
	}
	return f;
}

static const char *parse_length(const char *f, struct spec *sp)
{
	if (f[0] == 'h')
		sp->length = f[1] == 'h' ? (f++, 'H') : 'h';
	else if (f[0] == 'l')
		sp->length = f[1] == 'l' ? (f++, 'L') : 'l';
	else if (f[0] == 'z' || f[0] == 'j' || f[0] == 't')
		sp->length = 'z';
	else
		return f;
	return f + 1;
}

static u64 arg_unsigned(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (unsigned char)va_arg(*ap, unsigned int);
	case 'h': return (unsigned short)va_arg(*ap, unsigned int);
	case 'l': return va_arg(*ap, unsigned long);
	case 'L': return va_arg(*ap, unsigned long long);
	case 'z': return va_arg(*ap, size_t);
	default: return va_arg(*ap, unsigned int);
	}
}

static s64 arg_signed(const struct spec *sp, va_list *ap)
{
	switch (sp->length) {
	case 'H': return (signed char)va_arg(*ap, int);
	case 'h': return (short)va_arg(*ap, int);
	case 'l': return va_arg(*ap, long);
	case 'L': return va_arg(*ap, long long);
	case 'z': return va_arg(*ap, s64);
	default: return va_arg(*ap, int);
	}
}

static void emit_signed(struct out *o, const struct spec *sp, s64 v)
{
	char sign = v < 0 ? '-' : sp->plus ? '+' : sp->space ? ' ' : 0;
	u64 mag = v < 0 ? -(u64)v : (u64)v;

	emit_num(o, sp, mag, 10, false, sign);
}

static void emit_conv(struct out *o, struct spec *sp, char c, va_list *ap)
{
	switch (c) {
	case 'd':
	case 'i': emit_signed(o, sp, arg_signed(sp, ap)); break;
	case 'u': emit_num(o, sp, arg_unsigned(sp, ap), 10, false, 0); break;
	case 'x': emit_num(o, sp, arg_unsigned(sp, ap), 16, false, 0); break;
	case 'X': emit_num(o, sp, arg_unsigned(sp, ap), 16, true, 0); break;
	case 'o': emit_num(o, sp, arg_unsigned(sp, ap), 8, false, 0); break;
	case 'p':
		sp->alt = true;
		emit_num(o, sp, (u64)(uintptr_t)va_arg(*ap, void *), 16, false, 0);
		break;
	case 's': emit_str(o, sp, va_arg(*ap, const char *)); break;
	case 'c': {
		char s[2] = { (char)va_arg(*ap, int), 0 };

		emit_str(o, sp, s);
		break;
	}
	case '%': put(o, '%'); break;
	default: /* unknown conversion: print it as it was written */ put(o, '%'); put(o, c);
	}
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = { buf, size, 0 };
	struct spec sp;
	va_list aq;

	va_copy(aq, ap);
	for (const char *f = fmt; *f; f++) {
		if (*f != '%') {
			put(&o, *f);
			continue;
		}
		f = parse_length(parse_spec(f + 1, &sp, &aq), &sp);
		if (!*f)
			break;
		emit_conv(&o, &sp, *f, &aq);
	}
	va_end(aq);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
