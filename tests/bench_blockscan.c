/* bench_blockscan.c - the tracker's block reading: common/blockscan.c
 * against a tree parse (jv, Jansson) of the same get_block reply, measured
 * side by side: a block of 6,878 transfers (2.9 MB, the largest a real node
 * made in our measurements; see ../shared/docs/real-node.md).
 * Target: the scanner is at least 5x faster than the tree parse. Prints
 * `met` or `MISSED`, exits 1 when missed. Args: VECTORS_DIR via env. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "blockscan.h"
#include "err.h"
#include "jv.h"
#include "sbuf.h"
#include "testutil.h"
#include "timefmt.h"

#define NTX 6878

static unsigned long keyed;

static void on_tx(void *user, uint32_t index, const uint8_t *key)
{
    (void)user;
    (void)index;
    keyed += key != NULL;
}

int main(void)
{
    size_t len;
    char *tx = tu_read_file(tu_vector_path("transfer.signed.json"), &len);
    char err[ERR_LEN];
    struct blockscan b;
    struct sbuf s;
    uint64_t t0, t1, t2;
    int scans = 20, parses = 5;

    while (len > 0 && (tx[len - 1] == '\n' || tx[len - 1] == ' '))
        len--;
    sbuf_init(&s);
    sbuf_adds(&s, "{\"id\":5,\"jsonrpc\":\"2.0\",\"result\":{\"previous\":"
                  "\"0000007bffeeddccbbaa99887766554433221100\",\"timestamp\":"
                  "\"2026-12-07T18:00:01\",\"witness\":\"1.6.1\",\"transactions\":[");
    for (int i = 0; i < NTX; i++) {
        if (i > 0)
            sbuf_addc(&s, ',');
        sbuf_add(&s, tx, len - 1); /* as the node prints it: with operation_results */
        sbuf_adds(&s, ",\"operation_results\":[[0,{}]]}");
    }
    sbuf_adds(&s, "]}}");
    t0 = timefmt_mono_ns();
    for (int r = 0; r < scans; r++)
        if (blockscan_reply(s.buf, s.len, &b, on_tx, NULL, err) < 0) {
            fprintf(stderr, "bench_blockscan: %s\n", err);
            return 1;
        }
    t1 = timefmt_mono_ns();
    for (int r = 0; r < parses; r++) {
        struct jv *v = jv_parse(s.buf, s.len, JV_MAX_DEPTH, err);
        if (v == NULL) {
            fprintf(stderr, "bench_blockscan: %s\n", err);
            return 1;
        }
        jv_free(v);
    }
    t2 = timefmt_mono_ns();
    double scan_us = (double)(t1 - t0) / scans / 1e3, parse_us = (double)(t2 - t1) / parses / 1e3;
    bool ok = keyed == (unsigned long)NTX * scans && b.ntx == NTX && parse_us >= 5 * scan_us;
    printf("block of %d transfers, %zu bytes: scan %.1f ms (%.2f us/tx, %.0f MB/s), "
           "tree parse %.1f ms (%.2f us/tx)\n", NTX, s.len, scan_us / 1e3, scan_us / NTX,
           (double)s.len / scan_us, parse_us / 1e3, parse_us / NTX);
    printf("target scanner >= 5x faster than the tree parse: %.1fx %s\n", parse_us / scan_us,
           ok ? "met" : "MISSED");
    sbuf_free(&s);
    free(tx);
    return ok ? 0 : 1;
}
