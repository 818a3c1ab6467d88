/* test_devnode_overload.c - devnode --capacity (apply-first) offered twice
 * its capacity over four connections, on a starved host: while the load
 * lasts the node applies, and so answers, its capacity every second
 * (±10 %), as a real node's main thread does whatever arrives.
 * Issue 11: the event loop wrote one reply and read 4 KiB per connection
 * per pass, so when the host gave it few passes (load average 30 on two
 * cores) a node of capacity 3 500 answered 40-440 tx/s while requests
 * kept coming (9-20 % CPU) and caught up only once the sending stopped.
 * The starved host is emulated: a child stops the node for 3 ms and lets
 * it run for 1 ms, over and over (25 % of the wall time; the load costs it
 * about 15 %). Measured: the old loop failed 5 runs of 6 (a second at
 * 20-66 % of the capacity), this one passed 4 of 4 (94-108 %).
 * Timing-sensitive: in the slow suite, not built with sanitizers.
 * Bounded: about 15 s (pre-signing, 6 s of load). */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_devnode_util.h"
#include "timefmt.h"

#define CAP 1000       /* --capacity, tx/s */
#define STR_(x) #x
#define STR(x) STR_(x)
#define CONNS 4        /* one account each */
#define LOAD_S 6       /* seconds of load at 2 x CAP */
#define TOTAL (2 * CAP * LOAD_S)
#define ON_US 1000     /* the node runs ON_US, then is stopped OFF_US */
#define OFF_US 3000

/* Starves the node as a loaded host does: a child stops it for OFF_US and
 * lets it run for ON_US, over and over, for seconds s (then lets it run).
 * The node keeps ON/(ON+OFF) of the wall time, more than the load costs
 * it. Returns the child's pid. */
static pid_t starve(pid_t node, int seconds)
{
    pid_t p = fork();

    assert_true(p >= 0);
    if (p == 0) {
        uint64_t end = timefmt_mono_ns() + (uint64_t)seconds * 1000000000u;
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        while (timefmt_mono_ns() < end) {
            kill(node, SIGSTOP);
            usleep(OFF_US);
            kill(node, SIGCONT);
            usleep(ON_US);
        }
        _exit(0);
    }
    return p;
}

/* Reads every answer already there on each connection and bins it by the
 * second (after t0) it arrived in; counts answers that are not null. */
static void drain(struct wstc **c, uint64_t t0, size_t *acks, size_t *errors, size_t *got)
{
    for (int k = 0; k < CONNS; k++) {
        char *rep;
        while ((rep = wstc_recv(c[k], 1)) != NULL) {
            uint64_t s = (timefmt_mono_ns() - t0) / 1000000000u;
            if (s < LOAD_S)
                acks[s]++;
            if (strstr(rep, "\"result\":null") == NULL && (*errors)++ == 0)
                print_message("# first error: %.300s\n", rep);
            (*got)++;
            free(rep);
        }
    }
}

static void test_twice_capacity_four_conns(void **state)
{
    const char *args[] = {"--block-interval", "1", "--capacity", STR(CAP), NULL};
    struct dn d;
    struct wstc *c[CONNS];
    struct sign_ctx *ctx = sign_ctx_new(NULL);
    struct sign_key *key[CONNS];
    uint8_t chain_id[32], id[TX_BLOCK_ID_LEN];
    uint32_t now, head = 0;
    struct tx tx;
    char **reqs = calloc(TOTAL, sizeof *reqs);
    size_t acks[LOAD_S] = {0}, offered[LOAD_S] = {0}, errors = 0, got = 0, next = 0;
    uint64_t t0;
    pid_t starver;
    int st;

    (void)state;
    assert_non_null(reqs);
    tx_init(&tx);
    dn_start(&d, args);
    for (int k = 0; k < CONNS; k++) {
        c[k] = dn_client(&d);
        key[k] = dn_test_key(ctx, k + 1);
        jv_free(dn_call(c[k], "{\"id\":1,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}"));
    }
    dn_chain_id(c[0], chain_id);
    while (head < 1) {
        usleep(50000);
        dn_head(c[0], id, &now, &head);
    }
    /* Request i goes on connection i % CONNS, from that connection's
     * account (1.2.1000 + k) to the next one. */
    for (size_t i = 0; i < TOTAL; i++) {
        int k = (int)(i % CONNS);
        dn_transfer(&tx, id, now + 600, 1000 + (uint64_t)k, 1000 + (uint64_t)(k + 1) % 8,
                    1 + (int64_t)(i / CONNS), 2000000);
        dn_sign(&tx, ctx, key[k], chain_id);
        reqs[i] = dn_broadcast_request(&tx, 100 + (int64_t)i, 2, "broadcast_transaction", -1);
    }

    print_message("# %d requests signed\n", TOTAL);
    /* Paced at 2 x CAP in all; answers are read between sends. */
    starver = starve(d.pid, LOAD_S + 1);
    t0 = timefmt_mono_ns();
    while (next < TOTAL && timefmt_mono_ns() < t0 + (LOAD_S + 2) * 1000000000ull) {
        uint64_t t = timefmt_mono_ns() - t0;
        size_t due = (size_t)((double)t * 2 * CAP / 1e9);
        while (next < TOTAL && next <= due) {
            assert_int_equal(wstc_send(c[next % CONNS], reqs[next], strlen(reqs[next]), 2000), 0);
            if (t / 1000000000u < LOAD_S)
                offered[t / 1000000000u]++;
            next++;
        }
        drain(c, t0, acks, &errors, &got);
        usleep(200);
    }
    /* The last second's answers. */
    while (timefmt_mono_ns() < t0 + LOAD_S * 1000000000ull) {
        drain(c, t0, acks, &errors, &got);
        usleep(500);
    }
    assert_int_equal(waitpid(starver, &st, 0), starver);
    kill(d.pid, SIGCONT);
    for (int s = 0; s < LOAD_S; s++)
        print_message("# second %d: offered %zu, answered %zu (capacity %d)\n", s, offered[s],
                      acks[s], CAP);
    assert_int_equal(errors, 0);
    /* The test client itself must have offered well above the capacity
     * (else the check below says nothing about the node). */
    for (int s = 0; s < LOAD_S; s++)
        assert_true(offered[s] >= 1.5 * CAP);
    /* Second 0 fills the queue; from second 1 on it never empties, and
     * the node answers at its capacity each second (±10 %; the old loop
     * fell to 20-60 % for seconds, then caught up). */
    for (int s = 1; s < LOAD_S; s++)
        assert_true(acks[s] >= 0.9 * CAP && acks[s] <= 1.1 * CAP);

    for (int k = 0; k < CONNS; k++) {
        wstc_free(c[k]);
        sign_key_free(key[k]);
    }
    assert_int_equal(dn_stop(&d), 0);
    for (size_t i = 0; i < TOTAL; i++)
        free(reqs[i]);
    free(reqs);
    tx_clear(&tx);
    sign_ctx_free(ctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_twice_capacity_four_conns),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
