/* fuzz_proto.c - libFuzzer target: arbitrary bytes through proto_decode.
 * Besides "no crash, no UB, no leak, no huge allocation" (the test runs
 * with -malloc_limit_mb, and the seeds include inputs that declare
 * gigabytes in a few bytes) it checks what makes the decoder trustworthy:
 *  - the return is 0, -1 or -2, and err is set on failure;
 *  - whatever decodes, encodes; that encoding decodes to the same message
 *    (key fields compared) and encodes to the same bytes again.
 * Seeds: the encoding of every message type and hostile inputs, written by
 * `test_proto --write-seeds` (see tests/meson.build). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hist.h"
#include "proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct proto_msg m1, m2; /* ~110 KiB each: not on the stack */

static void same_key_fields(const struct proto_msg *a, const struct proto_msg *b)
{
    if (a->type != b->type)
        abort();
    switch (a->type) {
    case PROTO_HELLO:
        if (strcmp(a->u.hello.beacon_id, b->u.hello.beacon_id) != 0 ||
            a->u.hello.acked_seq != b->u.hello.acked_seq)
            abort();
        break;
    case PROTO_CONFIGURE:
        if (a->u.configure.nnodes != b->u.configure.nnodes ||
            a->u.configure.curve.nseg != b->u.configure.curve.nseg ||
            a->u.configure.keys_len != b->u.configure.keys_len ||
            (a->u.configure.keys_len > 0 &&
             memcmp(a->u.configure.keys_text, b->u.configure.keys_text, a->u.configure.keys_len) != 0))
            abort();
        for (uint32_t i = 0; i < a->u.configure.nnodes; i++)
            if (strcmp(a->u.configure.nodes[i], b->u.configure.nodes[i]) != 0)
                abort();
        break;
    case PROTO_STATS:
        if (a->u.stats.s.seq != b->u.stats.s.seq ||
            memcmp(&a->u.stats.s.c, &b->u.stats.s.c, sizeof(a->u.stats.s.c)) != 0 ||
            memcmp(&a->u.stats.s.ack, &b->u.stats.s.ack, sizeof(struct hist)) != 0 ||
            memcmp(&a->u.stats.s.inclusion, &b->u.stats.s.inclusion, sizeof(struct hist)) != 0 ||
            memcmp(&a->u.stats.s.lateness, &b->u.stats.s.lateness, sizeof(struct hist)) != 0)
            abort();
        break;
    case PROTO_STATS_ACK:
        if (a->u.stats_ack.seq != b->u.stats_ack.seq)
            abort();
        break;
    case PROTO_EVENT:
        if (a->u.event.level != b->u.event.level || strcmp(a->u.event.text, b->u.event.text) != 0)
            abort();
        break;
    default:
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[ERR_LEN] = "";
    uint8_t *e1 = NULL, *e2 = NULL;
    size_t n1, n2;
    int rc = proto_decode(&m1, data, size, err);

    if (rc != 0) {
        if ((rc != -1 && rc != -2) || err[0] == '\0')
            abort();
        proto_free(&m1);
        return 0;
    }
    if (proto_encode(&m1, &e1, &n1, err) != 0)
        abort();
    if (proto_decode(&m2, e1, n1, err) != 0)
        abort();
    same_key_fields(&m1, &m2);
    if (proto_encode(&m2, &e2, &n2, err) != 0 || n1 != n2 || memcmp(e1, e2, n1) != 0)
        abort();
    proto_buf_free(e1, n1);
    proto_buf_free(e2, n2);
    proto_free(&m1);
    proto_free(&m2);
    return 0;
}
