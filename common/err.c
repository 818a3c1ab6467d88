/* err.c - see err.h. */
#include "err.h"

#include <stdio.h>
#include <string.h>

int err_set(char *err, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

int err_prefix(char *err, const char *fmt, ...)
{
    char old[ERR_LEN];
    va_list ap;
    int n;

    if (err == NULL)
        return -1;
    memcpy(old, err, ERR_LEN);
    old[ERR_LEN - 1] = '\0';
    va_start(ap, fmt);
    n = vsnprintf(err, ERR_LEN, fmt, ap);
    va_end(ap);
    /* Append ": old" only when the prefix left room; truncation is fine. */
    if (n >= 0 && n < ERR_LEN - 3)
        snprintf(err + n, (size_t)(ERR_LEN - n), ": %s", old);
    return -1;
}
