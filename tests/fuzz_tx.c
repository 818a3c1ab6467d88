/* fuzz_tx.c - libFuzzer target: arbitrary bytes through the binary
 * unpacker and the JSON parser. Besides "no crash, no UB, no leak" it checks
 * the round-trip invariants that make both readers trustworthy:
 *  - bytes that unpack re-pack to the same bytes, or to fewer when the
 *    input used non-minimal varints (which fc accepts);
 *  - whatever is accepted renders to JSON that parses back to the same tx.
 * Seeds: the vectors' binary and JSON forms (see tests/meson.build). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "jv.h"
#include "sbuf.h"
#include "tx.h"
#include "txjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t *pack_all(const struct tx *tx, size_t *len)
{
    char err[ERR_LEN];
    size_t cap = tx_packed_size(tx, true);
    uint8_t *buf = malloc(cap + 1);
    long n;

    if (buf == NULL)
        abort();
    n = tx_pack(tx, true, buf, cap, err);
    /* Everything either reader accepts is packable. */
    if (n < 0 || (size_t)n != cap)
        abort();
    *len = cap;
    return buf;
}

/* Renders tx, reads the text back and checks it packs to want[0..len). */
static void check_json_round_trip(const struct tx *tx, const uint8_t *want, size_t len)
{
    char err[ERR_LEN];
    struct sbuf s;
    struct jv *v;
    struct tx back;
    uint8_t *got;
    size_t n;

    sbuf_init(&s);
    txjson_render(&s, tx, true, "BTS");
    /* Binary memo keys need not be valid points' encodings (02/03 first);
     * render reports those through overflow. */
    if (s.overflow)
        goto done;
    v = jv_parse(s.buf, s.len, JV_MAX_DEPTH, err);
    if (v == NULL)
        abort();
    tx_init(&back);
    if (txjson_parse(&back, v, err) < 0)
        abort();
    got = pack_all(&back, &n);
    if (n != len || memcmp(got, want, n) != 0)
        abort();
    free(got);
    tx_clear(&back);
    jv_free(v);
done:
    sbuf_free(&s);
}

static void fuzz_binary(const uint8_t *data, size_t size, bool with_sigs)
{
    char err[ERR_LEN];
    struct tx tx, again;
    uint8_t *p1, *p2;
    size_t n1, n2;

    tx_init(&tx);
    if (tx_unpack(&tx, data, size, with_sigs, err) < 0)
        goto done;
    p1 = pack_all(&tx, &n1);
    if (with_sigs && (n1 > size || (n1 == size && memcmp(p1, data, size) != 0)))
        abort();
    tx_init(&again);
    if (tx_unpack(&again, p1, n1, true, err) < 0)
        abort();
    p2 = pack_all(&again, &n2);
    if (n1 != n2 || memcmp(p1, p2, n1) != 0)
        abort();
    check_json_round_trip(&tx, p1, n1);
    free(p1);
    free(p2);
    tx_clear(&again);
done:
    tx_clear(&tx);
}

static void fuzz_json(const uint8_t *data, size_t size)
{
    char err[ERR_LEN];
    struct jv *v = jv_parse((const char *)data, size, JV_MAX_DEPTH, err);
    struct tx tx;
    uint8_t *p;
    size_t n;

    if (v == NULL)
        return;
    tx_init(&tx);
    if (txjson_parse(&tx, v, err) == 0) {
        p = pack_all(&tx, &n);
        check_json_round_trip(&tx, p, n);
        free(p);
    }
    tx_clear(&tx);
    jv_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_binary(data, size, true);
    fuzz_binary(data, size, false);
    fuzz_json(data, size);
    return 0;
}
