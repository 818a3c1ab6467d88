/* bench_reply.c - cost of reading a node's broadcast acknowledgement: the
 * fast scanner (reply_parse on {"id":N,"result":null}) against the full
 * parser (jv_parse) on the same text, and the full parser on a node-shaped
 * error. Prints min/avg/max ns per reply over several runs. Not a test:
 * run with `meson test --benchmark` or directly. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "reply.h"
#include "timefmt.h"

#define RUNS 7
#define NMSG 1024

static char acks[NMSG][64];
static size_t ack_len[NMSG];

static void report(const char *name, const double *ns, int runs)
{
    double min = ns[0], max = ns[0], sum = 0;

    for (int i = 0; i < runs; i++) {
        min = ns[i] < min ? ns[i] : min;
        max = ns[i] > max ? ns[i] : max;
        sum += ns[i];
    }
    printf("%-34s min %9.1f ns   avg %9.1f ns   max %9.1f ns\n", name, min, sum / runs, max);
}

typedef int (*parse_fn)(struct reply *r, const char *msg, size_t len, char *err);

static int bench(const char *name, parse_fn fn, const char *const *msgs, const size_t *lens,
                 size_t nmsg, uint64_t iters)
{
    double ns[RUNS];
    struct reply r;
    volatile uint64_t sink = 0;

    for (int run = 0; run < RUNS; run++) {
        uint64_t t0 = timefmt_mono_ns();
        for (uint64_t i = 0; i < iters; i++) {
            size_t k = i % nmsg;
            if (fn(&r, msgs[k], lens[k], NULL) < 0) {
                fprintf(stderr, "bench_reply: %s failed on %s\n", name, msgs[k]);
                return -1;
            }
            sink += r.id;
        }
        ns[run] = (double)(timefmt_mono_ns() - t0) / (double)iters;
    }
    (void)sink;
    report(name, ns, RUNS);
    return 0;
}

int main(void)
{
    static const char *const err_msg =
        "{\"id\":42,\"jsonrpc\":\"2.0\",\"error\":{\"code\":10,\"message\":\"Execution error: "
        "Assert Exception: trx.ref_block_prefix == tapos_block_summary.block_id._hash[1]: \","
        "\"data\":{\"code\":10,\"name\":\"assert_exception\",\"message\":\"Assert Exception\","
        "\"stack\":[{\"context\":{\"level\":\"error\",\"file\":\"db_block.cpp\",\"line\":733,"
        "\"method\":\"_apply_transaction\",\"hostname\":\"\",\"thread_name\":\"th_a\","
        "\"timestamp\":\"2024-05-01T12:00:00\"},\"format\":\"trx.ref_block_prefix == "
        "tapos_block_summary.block_id._hash[1]: \",\"data\":{}}]}}}";
    const char *msgs[NMSG];
    const char *errs[1] = {err_msg};
    size_t err_len[1] = {strlen(err_msg)};
    uint64_t id = 1000000;

    /* Ids as a long run produces them, with and without "jsonrpc". */
    for (int i = 0; i < NMSG; i++, id += 7919) {
        int n = snprintf(acks[i], sizeof acks[i],
                         i % 2 ? "{\"id\":%llu,\"result\":null}"
                               : "{\"id\":%llu,\"jsonrpc\":\"2.0\",\"result\":null}",
                         (unsigned long long)id);
        msgs[i] = acks[i];
        ack_len[i] = (size_t)n;
    }
    printf("bench_reply: ns per reply (%d runs)\n", RUNS);
    if (bench("ack, reply_parse (fast path)", reply_parse, msgs, ack_len, NMSG, 20000000) < 0 ||
        bench("ack, reply_parse_full (jv_parse)", reply_parse_full, msgs, ack_len, NMSG,
              1000000) < 0 ||
        bench("error, reply_parse (full)", reply_parse, errs, err_len, 1, 200000) < 0)
        return 1;
    return 0;
}
