/* fuzz_blockscan.c - libFuzzer target: arbitrary text through the block
 * scanner. Besides "no crash, no UB, no read past the input" it checks the
 * scanner against the tree parser: whenever both accept the text, they
 * agree on the envelope (id, result kind), the block's previous id and
 * timestamp, the transaction count and every transaction's key.
 * Seeds: get_block replies built from the vectors (tests/meson.build). */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "blockscan.h"
#include "err.h"
#include "hex.h"
#include "jv.h"
#include "timefmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXKEYS 4096

struct got {
    uint32_t n;
    bool keyed[MAXKEYS];
    uint8_t key[MAXKEYS][BLOCKSCAN_KEY_LEN];
};

static struct got got;

static void on_tx(void *user, uint32_t index, const uint8_t *key)
{
    struct got *g = user;

    if (index != g->n)
        abort(); /* in order, from 0 */
    if (g->n < MAXKEYS) {
        g->keyed[g->n] = key != NULL;
        if (key != NULL)
            memcpy(g->key[g->n], key, BLOCKSCAN_KEY_LEN);
    }
    g->n++;
}

/* What the scanner must say about the block object v, the tree's way. */
static void check_block(const struct jv *v, const struct blockscan *b)
{
    const struct jv *txs = jv_get(v, "transactions");
    const char *s;
    size_t n;
    uint8_t id[BLOCKSCAN_ID_LEN];
    uint32_t ts = 0;

    s = jv_str(jv_get(v, "previous"), &n);
    bool prev = s != NULL && n == 2 * BLOCKSCAN_ID_LEN &&
                hex_decode_exact(id, sizeof id, s, n, NULL) == 0;
    if (prev != b->has_previous || (prev && memcmp(id, b->previous, sizeof id) != 0))
        abort();
    s = jv_str(jv_get(v, "timestamp"), &n);
    if (s != NULL && timefmt_parse(&ts, s, n, NULL) < 0)
        ts = 0;
    if (ts != b->timestamp)
        abort();
    if (jv_type(txs) != JV_ARRAY) {
        if (b->ntx != 0 || got.n != 0)
            abort();
        return;
    }
    if (jv_len(txs) != b->ntx || b->ntx != got.n)
        abort();
    for (size_t i = 0; i < jv_len(txs) && i < MAXKEYS; i++) {
        const struct jv *tx = jv_at(txs, i);
        uint8_t sig[BLOCKSCAN_SIG_LEN], key[BLOCKSCAN_KEY_LEN];
        bool keyed = false;

        s = jv_type(tx) == JV_OBJECT ? jv_str(jv_at(jv_get(tx, "signatures"), 0), &n) : NULL;
        if (jv_type(jv_get(tx, "signatures")) == JV_ARRAY && s != NULL && n == 130 &&
            hex_decode_exact(sig, sizeof sig, s, n, NULL) == 0) {
            blockscan_key(key, sig);
            keyed = true;
        }
        if (keyed != got.keyed[i] || (keyed && memcmp(key, got.key[i], sizeof key) != 0))
            abort();
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct blockscan b;
    char err[ERR_LEN];
    struct jv *root;
    int rc;

    got.n = 0;
    rc = blockscan_reply(text, size, &b, on_tx, &got, err);
    root = jv_parse(text, size, JV_MAX_DEPTH, NULL);
    if (rc == 0 && root != NULL) {
        const struct jv *res = jv_get(root, "result");
        enum blockscan_result want = res == NULL ? BLOCKSCAN_NO_RESULT
                                     : jv_type(res) == JV_NULL ? BLOCKSCAN_NULL
                                     : jv_type(res) == JV_OBJECT ? BLOCKSCAN_OBJECT
                                     : BLOCKSCAN_OTHER;
        int64_t id;
        if (jv_type(root) != JV_OBJECT || want != b.result)
            abort();
        if (b.has_id && (jv_type(jv_get(root, "id")) != JV_INT ||
                         jv_int64(jv_get(root, "id"), 0, INT64_MAX, &id, NULL) < 0 ||
                         (uint64_t)id != b.id))
            abort();
        if (b.has_error != (jv_get(root, "error") != NULL) ||
            b.has_method != (jv_get(root, "method") != NULL))
            abort();
        if (want == BLOCKSCAN_OBJECT)
            check_block(res, &b);
        else if (got.n != 0)
            abort();
    }
    jv_free(root);
    /* The bare form: the whole text as a block. */
    got.n = 0;
    rc = blockscan_block(text, size, &b, on_tx, &got, err);
    root = jv_parse(text, size, JV_MAX_DEPTH, NULL);
    if (rc == 0 && root != NULL)
        check_block(root, &b);
    jv_free(root);
    return 0;
}
