/* fuzz_reply.c - libFuzzer target: whatever a node sends to a sending
 * connection goes through reply_parse (beacon/reply.c) on the sending
 * thread. Besides "no crash, no UB, no leak" it checks:
 *  - the fast scanner only says "mine" for text that the full parser reads
 *    to the same struct reply (correctness never depends on the scanner);
 *  - reply_parse accepts exactly what the full parser accepts;
 *  - a parsed error's name and message hold no control byte, C1 control or
 *    bidirectional override (they are printed to terminals and events.log),
 *    are NUL-terminated within their arrays, and classify without crashing.
 * Seeds: acks, node errors, notices and junk (see tests/meson.build). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "reply.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool same(const struct reply *a, const struct reply *b)
{
    return a->kind == b->kind && a->has_id == b->has_id && a->id == b->id &&
           a->result_null == b->result_null && a->code == b->code &&
           strcmp(a->name, b->name) == 0 && strcmp(a->message, b->message) == 0 &&
           a->notice_cb == b->notice_cb;
}

/* No byte below 0x20, no DEL, no U+0080..U+009F (C2 80..C2 9F), no
 * U+2028..U+202E (E2 80 A8..AE) or U+2066..U+2069 (E2 81 A6..A9). */
static void check_safe(const char *s, size_t cap)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strnlen(s, cap);

    if (n == cap)
        abort();
    for (size_t i = 0; i < n; i++) {
        if (p[i] < 0x20 || p[i] == 0x7F)
            abort();
        if (p[i] == 0xC2 && i + 1 < n && p[i + 1] >= 0x80 && p[i + 1] <= 0x9F)
            abort();
        if (p[i] == 0xE2 && i + 2 < n &&
            ((p[i + 1] == 0x80 && p[i + 2] >= 0xA8 && p[i + 2] <= 0xAE) ||
             (p[i + 1] == 0x81 && p[i + 2] >= 0xA6 && p[i + 2] <= 0xA9)))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct reply fast, full, r;
    char err[ERR_LEN];
    const char *msg = (const char *)data;
    int rc_full, rc;

    memset(&fast, 0x5A, sizeof fast);
    bool mine = reply_parse_fast(&fast, msg, size);
    rc_full = reply_parse_full(&full, msg, size, err);
    rc = reply_parse(&r, msg, size, err);
    if (rc != rc_full)
        abort();
    if (mine && (rc_full != 0 || !same(&fast, &full)))
        abort();
    if (rc == 0) {
        if (!same(&r, &full))
            abort();
        check_safe(r.name, sizeof r.name);
        check_safe(r.message, sizeof r.message);
        if (r.kind == REPLY_ERROR)
            (void)reply_classify(r.code, r.name, r.message);
    }
    return 0;
}
