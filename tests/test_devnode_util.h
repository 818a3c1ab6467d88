/* test_devnode_util.h - helpers for the devnode tests: run devnode as a
 * child process on a free loopback port, and build signed transactions
 * with common/. */
#ifndef BSS_TEST_DEVNODE_UTIL_H
#define BSS_TEST_DEVNODE_UTIL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "jv.h"
#include "sign.h"
#include "tx.h"
#include "ws_testclient.h"

struct dn {
    pid_t pid;
    int port;
};

/* Starts $DEVNODE_BIN --listen 127.0.0.1:0 --quiet --genesis
 * $DEVNODE_GENESIS plus args (NULL-terminated), and waits (5 s at most)
 * for its "listening on" line. The child dies with the test process.
 * Fails the test on error. */
void dn_start(struct dn *d, const char *const *args);
/* SIGTERM, then waits up to 5 s (SIGKILL after that). Returns the exit
 * status (0 for a clean exit), or -1 if it had to be killed. */
int dn_stop(struct dn *d);

/* Connects a client (fails the test on error). */
struct wstc *dn_client(const struct dn *d);

/* Sends a request and parses the reply (fails the test on timeout or bad
 * JSON). Free with jv_free. */
struct jv *dn_call(struct wstc *c, const char *request);
/* result member of a reply (fails the test when it is an error). */
const struct jv *dn_result(const struct jv *reply);
/* error.code of a reply (fails the test when it has no error). */
int64_t dn_error_code(const struct jv *reply);
/* error.data.name, or "" */
const char *dn_error_name(const struct jv *reply);
/* error.message, or "" */
const char *dn_error_message(const struct jv *reply);

/* The test accounts' keys: secret sha256("bss-devnode/N"), N = 1..8
 * (alice = 1 = 1.2.1000, bob = 2 = 1.2.1001, ...). */
struct sign_key *dn_test_key(const struct sign_ctx *ctx, int n);

/* Head block id and time via get_dynamic_global_properties. */
void dn_head(struct wstc *c, uint8_t id[TX_BLOCK_ID_LEN], uint32_t *time, uint32_t *num);
/* Chain id via get_chain_id. */
void dn_chain_id(struct wstc *c, uint8_t chain_id[32]);

/* A one-transfer transaction with TaPoS from head_id. */
void dn_transfer(struct tx *tx, const uint8_t head_id[TX_BLOCK_ID_LEN], uint32_t expiration,
                 uint64_t from, uint64_t to, int64_t amount, int64_t fee);
/* Signs tx (appends a signature) with sign_compact_fc under chain_id. */
void dn_sign(struct tx *tx, const struct sign_ctx *ctx, const struct sign_key *key,
             const uint8_t chain_id[32]);
/* The broadcast request text for tx (malloc'd): method is
 * "broadcast_transaction" or one of its variants; cb >= 0 adds a callback
 * id before the tx. api is the network_broadcast api id. */
char *dn_broadcast_request(const struct tx *tx, int64_t id, int api, const char *method,
                           int64_t cb);

/* Balance of account 1.2.N in asset 1.3.A via get_account_balances. */
int64_t dn_balance(struct wstc *c, uint64_t account, uint64_t asset);

#endif
