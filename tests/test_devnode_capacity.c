/* test_devnode_capacity.c - devnode --capacity over loopback: offered twice
 * the capacity, the node applies about its capacity per second, the
 * pending queue grows, and past --max-pending broadcasts are refused with
 * the queue-full error. Bounded: 2.5 s of offered load, ~6 s in all. */
#include <setjmp.h>
#include <stdarg.h>
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
                          NULL};
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twice_capacity),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
