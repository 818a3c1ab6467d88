/* test_devnode_capacity.c - devnode --capacity over loopback.
 * Apply-first (the default, a real node's behaviour): below the capacity
 * acks are quick; offered twice the capacity, acks come at the capacity's
 * rate and later and later, nothing is refused and every acknowledged
 * transaction is in a block; past --max-pending a burst is refused with
 * the busy (queue-full) error.
 * Ack-first (--capacity-model ack-first, the old model): the node applies
 * about its capacity per block, the pending queue grows, and past
 * --max-pending broadcasts are refused with the queue-full error.
 * Bounded: about 20 s in all. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "test_devnode_util.h"
#include "timefmt.h"

#define CAPACITY 40      /* tx/s */
#define INTERVAL 0.25    /* s */
#define OFFER_SECONDS 2.5
#define MAX_PENDING 150

static uint32_t head_num(struct wstc *c)
{
    uint8_t id[TX_BLOCK_ID_LEN];
    uint32_t n;

    dn_head(c, id, NULL, &n);
    return n;
}

static size_t txs_in_block(struct wstc *c, uint32_t n)
{
    char req[128];
    struct jv *r;
    size_t k;

    snprintf(req, sizeof req, "{\"id\":3,\"method\":\"call\",\"params\":[0,\"get_block\",[%u]]}",
             n);
    r = dn_call(c, req);
    k = jv_len(jv_get(dn_result(r), "transactions"));
    jv_free(r);
    return k;
}

static void test_twice_capacity(void **state)
{
    const char *args[] = {"--block-interval", "0.25", "--capacity", "40", "--max-pending", "150",
                          "--capacity-model", "ack-first", NULL};
    struct dn d;
    struct wstc *c;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *alice = dn_test_key(ctx, 1);
    uint8_t chain_id[32], id[TX_BLOCK_ID_LEN];
    uint32_t now, b0, b1;
    struct tx tx;
    size_t offered = (size_t)(2 * CAPACITY * OFFER_SECONDS), burst = 2 * MAX_PENDING;
    char **reqs = calloc(offered + burst, sizeof *reqs);
    size_t applied = 0, accepted = 0, full = 0, other = 0;
    uint64_t t0;

    (void)state;
    assert_non_null(reqs);
    tx_init(&tx);
    dn_start(&d, args);
    c = dn_client(&d);
    dn_chain_id(c, chain_id);
    jv_free(dn_call(c, "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}"));
    while (head_num(c) < 1)
        usleep(50000);
    dn_head(c, id, &now, NULL);
    /* Pre-sign everything so that offering is only sending. */
    for (size_t i = 0; i < offered + burst; i++) {
        dn_transfer(&tx, id, now + 300, 1000, 1001, 1 + (int64_t)i, 2000000);
        dn_sign(&tx, ctx, alice, chain_id);
        reqs[i] = dn_broadcast_request(&tx, 100 + (int64_t)i, 2, "broadcast_transaction", -1);
    }
    /* Offer 2x capacity, paced. */
    b0 = head_num(c);
    t0 = timefmt_mono_ns();
    for (size_t i = 0; i < offered; i++) {
        uint64_t due = t0 + (uint64_t)(i * 1e9 / (2 * CAPACITY));
        while (timefmt_mono_ns() < due)
            usleep(1000);
        assert_int_equal(wstc_send(c, reqs[i], strlen(reqs[i]), 2000), 0);
    }
    for (size_t i = 0; i < offered; i++) {
        char *rep = wstc_recv(c, 5000);
        assert_non_null(rep);
        if (strstr(rep, "\"result\":null") != NULL)
            accepted++;
        free(rep);
    }
    /* (The queue still holds about half of what was offered, so blocks
     * up to now were all full.) */
    b1 = head_num(c);
    assert_int_equal(accepted, offered);
    /* Blocks produced while the queue was non-empty hold the capacity's
     * share each (C * interval = 10). Skip the first one: the queue may
     * not have been full yet. */
    assert_true(b1 > b0 + 4);
    for (uint32_t n = b0 + 2; n <= b1; n++)
        applied += txs_in_block(c, n);
    {
        double rate = (double)applied / ((b1 - b0 - 1) * INTERVAL);
        print_message("# offered %.0f tx/s, applied %.1f tx/s over %u blocks (capacity %d)\n",
                      2.0 * CAPACITY, rate, b1 - b0 - 1, CAPACITY);
        assert_true(rate >= CAPACITY * 0.9 && rate <= CAPACITY * 1.1);
    }
    /* A burst past the pending bound is refused with the queue-full
     * error; nothing else goes wrong. */
    for (size_t i = offered; i < offered + burst; i++)
        assert_int_equal(wstc_send(c, reqs[i], strlen(reqs[i]), 2000), 0);
    for (size_t i = 0; i < burst; i++) {
        char *rep = wstc_recv(c, 5000);
        assert_non_null(rep);
        if (strstr(rep, "pending queue is full") != NULL)
            full++;
        else if (strstr(rep, "\"result\":null") == NULL)
            other++;
        free(rep);
    }
    print_message("# burst of %zu: %zu refused (queue full), %zu other errors\n", burst, full,
                  other);
    assert_true(full > 0);
    assert_int_equal(other, 0);
    wstc_free(c);
    assert_int_equal(dn_stop(&d), 0);
    for (size_t i = 0; i < offered + burst; i++)
        free(reqs[i]);
    free(reqs);
    tx_clear(&tx);
    sign_key_free(alice);
    sign_ctx_free(ctx);
}

#define AF_CAP 200          /* tx/s */
#define AF_QUICK 100        /* below capacity: tx/s for 1 s */
#define AF_OFFER_S 2.5      /* twice the capacity for this long */
#define AF_BINS 8           /* ack seconds recorded */

/* Offers reqs[from..to) at rate tx/s, paced, and collects every answer
 * (within 10 s): the ack delay of each into delay_ns[i], its arrival
 * second after t0 into sec[i]; counts non-null results into *errors.
 * With ping_pong, each answer is awaited before the next send (the test
 * client cannot wait for less than a few ms without missing wake-ups);
 * otherwise answers are read between sends, which suits a stream of
 * answers a few ms apart (an overloaded node answering at its rate). */
static void offer(struct wstc *c, char **reqs, size_t from, size_t to, double rate,
                  bool ping_pong, uint64_t *delay_ns, int *sec, size_t *errors)
{
    uint64_t t0 = timefmt_mono_ns(), *sent = calloc(to, sizeof *sent);
    uint64_t deadline = t0 + (uint64_t)((double)(to - from) / rate * 1e9) + 10000000000u;
    size_t got = 0, next = from;

    assert_non_null(sent);
    while (got < to - from && timefmt_mono_ns() < deadline) {
        uint64_t now = timefmt_mono_ns();
        char *rep;
        long long id;
        if (ping_pong && next == from + got && next < to) {
            uint64_t due = t0 + (uint64_t)((double)(next - from) * 1e9 / rate);
            while (timefmt_mono_ns() < due)
                usleep(500);
            now = timefmt_mono_ns();
        }
        if (next < to && now >= t0 + (uint64_t)((double)(next - from) * 1e9 / rate)) {
            sent[next] = timefmt_mono_ns();
            assert_int_equal(wstc_send(c, reqs[next], strlen(reqs[next]), 2000), 0);
            next++;
            if (!ping_pong)
                continue;
        }
        if (next == from + got) { /* nothing in flight: nothing to wait for */
            usleep(200);
            continue;
        }
        rep = wstc_recv(c, ping_pong ? 5000 : 2);
        if (rep == NULL)
            continue;
        now = timefmt_mono_ns();
        assert_int_equal(sscanf(rep, "{\"id\":%lld", &id), 1);
        assert_true(id >= 100 + (long long)from && id < 100 + (long long)to);
        delay_ns[id - 100] = now - sent[id - 100];
        sec[id - 100] = (int)((now - t0) / 1000000000u);
        if (strstr(rep, "\"result\":null") == NULL) {
            if (*errors == 0)
                print_message("# first error: %.300s\n", rep);
            (*errors)++;
        }
        got++;
        free(rep);
    }
    if (got != to - from)
        print_message("# sent %zu of %zu, got %zu answers, %.3f s\n", next - from, to - from, got, (double)(timefmt_mono_ns() - t0) / 1e9);
    assert_int_equal(got, to - from);
    free(sent);
}

static void test_apply_first(void **state)
{
    const char *args[] = {"--block-interval", "0.25", "--capacity", "200", NULL};
    struct dn d;
    struct wstc *c;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *alice = dn_test_key(ctx, 1);
    uint8_t chain_id[32], id[TX_BLOCK_ID_LEN];
    uint32_t now, b0, b1;
    struct tx tx;
    size_t quick = AF_QUICK, over = (size_t)(2 * AF_CAP * AF_OFFER_S), total = quick + over;
    char **reqs = calloc(total, sizeof *reqs);
    uint64_t *delay = calloc(total, sizeof *delay), max_quick = 0;
    int *sec = calloc(total, sizeof *sec);
    size_t errors = 0, in_blocks = 0, nb[AF_BINS] = {0};
    double mean[AF_BINS] = {0};

    (void)state;
    assert_true(reqs != NULL && delay != NULL && sec != NULL);
    tx_init(&tx);
    dn_start(&d, args);
    c = dn_client(&d);
    dn_chain_id(c, chain_id);
    jv_free(dn_call(c, "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}"));
    while (head_num(c) < 1)
        usleep(50000);
    dn_head(c, id, &now, NULL);
    for (size_t i = 0; i < total; i++) {
        dn_transfer(&tx, id, now + 300, 1000, 1001, 1 + (int64_t)i, 2000000);
        dn_sign(&tx, ctx, alice, chain_id);
        reqs[i] = dn_broadcast_request(&tx, 100 + (int64_t)i, 2, "broadcast_transaction", -1);
    }
    b0 = head_num(c);
    /* Below capacity: each answer comes as soon as the node applied it. */
    offer(c, reqs, 0, quick, AF_QUICK, true, delay, sec, &errors);
    for (size_t i = 0; i < quick; i++)
        max_quick = delay[i] > max_quick ? delay[i] : max_quick;
    print_message("# offered %d tx/s (capacity %d): slowest ack %.1f ms\n", AF_QUICK, AF_CAP,
                  (double)max_quick / 1e6);
    assert_int_equal(errors, 0);
    /* 0.1 s: a tenth of what the same node takes to answer at twice its
     * capacity (below), with room for a loaded machine. */
    assert_true(max_quick < 100000000u);

    /* Twice the capacity. */
    offer(c, reqs, quick, total, 2.0 * AF_CAP, false, delay, sec, &errors);
    assert_int_equal(errors, 0);
    for (size_t i = quick; i < total; i++) {
        if (sec[i] < AF_BINS) {
            nb[sec[i]]++;
            mean[sec[i]] += (double)delay[i] / 1e9;
        }
    }
    for (int k = 0; k < AF_BINS; k++) {
        if (nb[k] > 0)
            mean[k] /= (double)nb[k];
        print_message("# second %d: %zu acks, mean ack delay %.3f s\n", k, nb[k], mean[k]);
    }
    /* While the queue is never empty (seconds 1..3 of 5), the node
     * answers at its capacity; and later every second (at twice the
     * capacity, the wait grows by half a second per second of answers). */
    for (int k = 1; k <= 3; k++) {
        assert_true(nb[k] >= AF_CAP * 0.95 && nb[k] <= AF_CAP * 1.05);
        assert_true(mean[k] > mean[k - 1] + 0.25);
    }
    /* Every acknowledged transaction is in a block once the next block is
     * out (blocks take what was applied). */
    b1 = head_num(c);
    while (head_num(c) < b1 + 2)
        usleep(50000);
    b1 = head_num(c);
    for (uint32_t n = b0 + 1; n <= b1; n++)
        in_blocks += txs_in_block(c, n);
    print_message("# %zu acknowledged, %zu in blocks %u..%u\n", total, in_blocks, b0 + 1, b1);
    assert_int_equal(in_blocks, total);
    wstc_free(c);
    assert_int_equal(dn_stop(&d), 0);
    for (size_t i = 0; i < total; i++)
        free(reqs[i]);
    free(reqs);
    free(delay);
    free(sec);
    tx_clear(&tx);
    sign_key_free(alice);
    sign_ctx_free(ctx);
}

/* Apply-first past --max-pending: a burst larger than the bound is
 * partly refused with the queue-full error, the rest is applied. */
static void test_apply_first_bound(void **state)
{
    const char *args[] = {"--block-interval", "0.25", "--capacity", "40", "--max-pending", "150",
                          NULL};
    struct dn d;
    struct wstc *c;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *alice = dn_test_key(ctx, 1);
    uint8_t chain_id[32], id[TX_BLOCK_ID_LEN];
    uint32_t now;
    struct tx tx;
    size_t burst = 300, full = 0, ok = 0;
    char **reqs = calloc(burst, sizeof *reqs);

    (void)state;
    assert_non_null(reqs);
    tx_init(&tx);
    dn_start(&d, args);
    c = dn_client(&d);
    dn_chain_id(c, chain_id);
    jv_free(dn_call(c, "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}"));
    while (head_num(c) < 1)
        usleep(50000);
    dn_head(c, id, &now, NULL);
    for (size_t i = 0; i < burst; i++) {
        dn_transfer(&tx, id, now + 300, 1000, 1001, 1 + (int64_t)i, 2000000);
        dn_sign(&tx, ctx, alice, chain_id);
        reqs[i] = dn_broadcast_request(&tx, 100 + (int64_t)i, 2, "broadcast_transaction", -1);
    }
    for (size_t i = 0; i < burst; i++)
        assert_int_equal(wstc_send(c, reqs[i], strlen(reqs[i]), 2000), 0);
    /* Refusals come at once; acks at 40/s for up to 150 of them. */
    for (size_t i = 0; i < burst; i++) {
        char *rep = wstc_recv(c, 8000);
        assert_non_null(rep);
        if (strstr(rep, "pending queue is full") != NULL)
            full++;
        else if (strstr(rep, "\"result\":null") != NULL)
            ok++;
        free(rep);
    }
    print_message("# burst of %zu at --max-pending 150: %zu refused, %zu applied\n", burst, full,
                  ok);
    assert_int_equal(full + ok, burst);
    assert_true(full >= burst - 150 && ok >= 150);
    wstc_free(c);
    assert_int_equal(dn_stop(&d), 0);
    for (size_t i = 0; i < burst; i++)
        free(reqs[i]);
    free(reqs);
    tx_clear(&tx);
    sign_key_free(alice);
    sign_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_apply_first),
        cmocka_unit_test(test_apply_first_bound),
        cmocka_unit_test(test_twice_capacity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
