/* bench_devnode_sink.c - devnode --sink: accepted broadcasts per second
 * from one websocket connection, pipelined with a window of outstanding
 * requests. Measures devnode's request path (websocket, JSON parse,
 * transaction parse, reply) and this test client together; bounded in
 * count and time. Prints the figure; never fails on timing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_devnode_util.h"
#include "timefmt.h"

#define N 50000
#define WINDOW 256
#define MAX_SECONDS 30

static void bench_sink(void **state)
{
    const char *args[] = {"--sink", NULL};
    struct dn d;
    struct wstc *c;
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *alice = dn_test_key(ctx, 1);
    uint8_t id[TX_BLOCK_ID_LEN], chain_id[32];
    uint32_t now;
    struct tx tx;
    char *req;
    size_t sent = 0, acked = 0, len;
    uint64_t t0, deadline;

    (void)state;
    tx_init(&tx);
    dn_start(&d, args);
    c = dn_client(&d);
    dn_chain_id(c, chain_id);
    jv_free(dn_call(c, "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}"));
    dn_head(c, id, &now, NULL);
    dn_transfer(&tx, id, now + 600, 1000, 1001, 1, 2000000);
    dn_sign(&tx, ctx, alice, chain_id);
    req = dn_broadcast_request(&tx, 5, 2, "broadcast_transaction", -1);
    len = strlen(req);
    t0 = timefmt_mono_ns();
    deadline = t0 + (uint64_t)MAX_SECONDS * 1000000000u;
    while (acked < N && timefmt_mono_ns() < deadline) {
        while (sent < N && sent - acked < WINDOW) {
            assert_int_equal(wstc_send(c, req, len, 5000), 0);
            sent++;
        }
        {
            char *rep = wstc_recv(c, 5000);
            assert_non_null(rep);
            assert_non_null(strstr(rep, "\"result\":null"));
            free(rep);
            acked++;
        }
    }
    {
        double s = (double)(timefmt_mono_ns() - t0) / 1e9;
        print_message("devnode --sink: %zu broadcasts (%zu bytes each) accepted in %.3f s from "
                      "one connection: %.0f/s (window %d)\n",
                      acked, len, s, acked / s, WINDOW);
    }
    free(req);
    wstc_free(c);
    assert_int_equal(dn_stop(&d), 0);
    tx_clear(&tx);
    sign_key_free(alice);
    sign_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(bench_sink)};

    return cmocka_run_group_tests(tests, NULL, NULL);
}
