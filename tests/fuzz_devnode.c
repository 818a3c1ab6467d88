/* fuzz_devnode.c - libFuzzer target for devnode's request handler: any
 * bytes as one JSON-RPC request on a fresh session of a chain with two
 * funded accounts; a block is produced every 64 inputs so that pending
 * transactions, notices and the block store are exercised too. The
 * handler must answer or stay silent, never crash, leak or read out of
 * bounds. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain.h"
#include "genesis.h"
#include "hash.h"
#include "rpc.h"
#include "sbuf.h"
#include "sign.h"

static struct {
    struct sign_ctx *ctx;
    struct genesis g;
    struct chain *chain;
    struct rpc *rpc;
    struct sbuf out;
    uint32_t now;
    unsigned n;
} G;

static int sink(void *ud, uint64_t conn, const char *msg, size_t len)
{
    (void)ud;
    (void)conn;
    (void)msg;
    (void)len;
    return 0;
}

static void init(void)
{
    struct chain_opts o = {.max_pending = 2000, .keep_blocks = 8, .keep_bytes = 8 << 20};

    G.ctx = sign_ctx_new(NULL);
    genesis_defaults(&G.g);
    for (int i = 1; i <= 2; i++) {
        struct genesis_account a;
        char in[32];
        uint8_t secret[32];
        struct sign_key *k;

        memset(&a, 0, sizeof a);
        snprintf(in, sizeof in, "bss-devnode/%d", i);
        hash_sha256(secret, in, strlen(in));
        k = sign_key_from_secret(G.ctx, secret, NULL);
        if (k == NULL)
            abort();
        a.id = 999 + (uint64_t)i;
        snprintf(a.name, sizeof a.name, "%s", i == 1 ? "alice" : "bob");
        sign_key_pubkey(k, a.active);
        memcpy(a.owner, a.active, PUBKEY_LEN);
        memcpy(a.memo, a.active, PUBKEY_LEN);
        a.balances[0] = INT64_C(1000000000000);
        a.balances[1] = INT64_C(1000000000);
        sign_key_free(k);
        if (genesis_add_account(&G.g, &a, NULL) < 0)
            abort();
    }
    G.now = 1893456000u - 3600; /* an hour before the vectors' expiration */
    G.chain = chain_new(&G.g, &o, G.ctx, G.now, NULL);
    G.rpc = G.chain != NULL ? rpc_new(G.chain, G.ctx, false, sink, NULL, NULL) : NULL;
    if (G.rpc == NULL)
        abort();
    sbuf_init(&G.out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct rpc_session *s;

    if (G.rpc == NULL)
        init();
    s = rpc_session_new(G.rpc, 1);
    if (s == NULL)
        return 0;
    sbuf_reset(&G.out);
    rpc_handle(s, (const char *)data, size, &G.out);
    if (++G.n % 64 == 0) {
        const struct chain_block *b = chain_produce_block(G.chain, ++G.now, NULL);
        if (b != NULL)
            rpc_block_produced(G.rpc, b);
    }
    rpc_session_free(s);
    return 0;
}
