/* signer.h - signer threads: they keep the pre-sign pool at a target level
 * with ready-to-send broadcast frames, each transaction unique (a global
 * index k, see txgen.h), following the TaPoS reference and expiration the
 * engine sets so that long runs stay valid.
 *
 * Accounts take turns: transaction k is paid by account k mod n and sent to
 * account (k + 1) mod n, or to a fixed recipient. */
#ifndef BSS_SIGNER_H
#define BSS_SIGNER_H

#include <stddef.h>
#include <stdint.h>

#include "pool.h"
#include "sign.h"
#include "tx.h"
#include "txgen.h"

struct signer_account {
    uint64_t id;                /* 1.2.N instance */
    const struct sign_key *key; /* borrowed */
};

struct signer_config {
    const struct sign_ctx *sctx;          /* borrowed, shared */
    uint8_t chain_id[TX_CHAIN_ID_LEN];
    unsigned broadcast_api;
    struct txgen_config gen;              /* mix, fees, amounts, seed; from/to/TaPoS set here */
    const struct signer_account *accounts; /* borrowed, naccounts >= 1 */
    size_t naccounts;
    uint64_t to_fixed;                    /* recipient for all transfers, or UINT64_MAX */
    unsigned threads;                     /* >= 1 */
    struct pool *pool;                    /* borrowed */
    size_t target_level;                  /* items to keep ready */
};

struct signer;

/* Starts the threads. TaPoS must be set with signer_set_tapos before they
 * produce anything (they wait for it). Returns NULL with err. */
struct signer *signer_new(const struct signer_config *cfg, char *err);
/* Stops and joins the threads, frees; NULL is a no-op. */
void signer_free(struct signer *s);

/* Transactions signed from now on reference block_id and expire at
 * expiration (epoch s). Thread-safe. */
void signer_set_tapos(struct signer *s, const uint8_t block_id[TX_BLOCK_ID_LEN],
                      uint32_t expiration);
/* Changes the pool level the threads keep; a higher one wakes an idle
 * thread, or every idle thread when the pool holds under half of it.
 * Thread-safe. */
void signer_set_target(struct signer *s, size_t level);
/* Wakes one idle thread (the sender took items), under the signers' lock
 * so that a thread about to wait cannot miss it. Thread-safe; call it per
 * chunk, not per transaction. */
void signer_kick(struct signer *s);

/* Transactions signed so far; signing CPU time (ns, all signer threads,
 * per-thread CPU clocks). Thread-safe. */
uint64_t signer_count(const struct signer *s);
uint64_t signer_cpu_ns(const struct signer *s);
/* Copies the first failure into err and returns -1, or returns 0. */
int signer_failed(struct signer *s, char *err);

#endif
