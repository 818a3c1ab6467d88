/* fcerr.c - see fcerr.h. */
#include "fcerr.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const reason_names[FCERR_NREASONS] = {
    [FCERR_NONE] = "none",
    [FCERR_PARSE] = "parse",
    [FCERR_VALIDATE] = "validate",
    [FCERR_SIGNATURE] = "signature",
    [FCERR_DUP_SIG] = "dup_sig",
    [FCERR_SIZE] = "size",
    [FCERR_DUP_TX] = "dup_tx",
    [FCERR_MISSING_AUTH] = "missing_auth",
    [FCERR_IRRELEVANT_SIG] = "irrelevant_sig",
    [FCERR_TAPOS] = "tapos",
    [FCERR_EXPIRED] = "expired",
    [FCERR_EXPIRATION_FAR] = "expiration_far",
    [FCERR_FEE] = "fee",
    [FCERR_BALANCE] = "balance",
    [FCERR_UNKNOWN_OBJECT] = "unknown_object",
    [FCERR_EVALUATE] = "evaluate",
    [FCERR_QUEUE_FULL] = "queue_full",
    [FCERR_API] = "api",
};

const char *fcerr_reason_name(enum fcerr_reason r)
{
    return (unsigned)r < FCERR_NREASONS ? reason_names[r] : "?";
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s != NULL ? s + 1 : path;
}

static void fill(struct fcerr *e, enum fcerr_reason r, int64_t code, const char *name,
                 const char *what, const char *method, const char *file, int line,
                 const char *format, const char *msgfmt, va_list ap)
{
    e->reason = r;
    e->code = code;
    e->fc_code = code;
    e->name = name;
    e->what = what;
    e->method = method;
    e->file = base_name(file);
    e->line = line;
    snprintf(e->format, sizeof e->format, "%s", format);
    vsnprintf(e->message, sizeof e->message, msgfmt, ap);
    strcpy(e->data, "{}");
}

void fcerr_assert(struct fcerr *e, enum fcerr_reason r, const char *method, const char *file,
                  int line, const char *format, const char *msgfmt, ...)
{
    va_list ap;

    va_start(ap, msgfmt);
    fill(e, r, 10, "assert_exception", "Assert Exception", method, file, line, format, msgfmt,
         ap);
    va_end(ap);
}

void fcerr_throw(struct fcerr *e, enum fcerr_reason r, int64_t code, const char *name,
                 const char *what, const char *method, const char *file, int line,
                 const char *format, const char *msgfmt, ...)
{
    va_list ap;

    va_start(ap, msgfmt);
    fill(e, r, code, name, what, method, file, line, format, msgfmt, ap);
    va_end(ap);
}

void fcerr_data(struct fcerr *e, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(e->data, sizeof e->data, fmt, ap);
    va_end(ap);
    /* Truncated JSON would make the whole reply invalid. */
    if (n < 0 || (size_t)n >= sizeof e->data)
        strcpy(e->data, "{}");
}
