/* presign.h - one transaction from index to signed bytes and rendered text:
 * build (txgen), pack, digest, sign fc-style, and render either the
 * JSON-RPC broadcast frame the sender will send as is, or the node JSON.
 *
 * A presign_job is shared read-only by all signer threads; each thread owns
 * one presign_scratch, whose buffers are reused so that steady-state signing
 * allocates nothing. */
#ifndef BSS_PRESIGN_H
#define BSS_PRESIGN_H

#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"
#include "sign.h"
#include "tx.h"
#include "txgen.h"

/* The frame starts {"id":<PRESIGN_ID_WIDTH characters>,... : the request id
 * is written at send time into this fixed-width field (right-aligned
 * digits, leading spaces, which JSON allows), so sending copies bytes and
 * formats nothing. 20 characters hold every uint64 (a connection's ids
 * never wrap or lose digits). */
#define PRESIGN_ID_WIDTH 20
#define PRESIGN_ID_OFFSET 6 /* strlen("{\"id\":") */

struct presign_job {
    const struct sign_ctx *sctx; /* borrowed */
    const struct sign_key *key;  /* borrowed: the key of gen.from */
    uint8_t chain_id[TX_CHAIN_ID_LEN];
    struct txgen_config gen;
    unsigned broadcast_api; /* api id of network_broadcast (normally 2) */
};

struct presign_scratch {
    struct tx tx;
    uint8_t *packed; /* signed_transaction bytes */
    size_t packed_cap;
};

/* What presign_sign produced; pointers into the scratch, valid until its
 * next use. */
struct presign_result {
    uint8_t txid[TX_ID_LEN];
    uint8_t sig[SIGN_SIG_LEN];
    const uint8_t *packed; /* signed bytes */
    size_t packed_len;     /* signed size */
    size_t unsigned_len;   /* unsigned size (what maximum_transaction_size limits) */
    unsigned attempts;     /* nonces tried */
};

void presign_scratch_init(struct presign_scratch *s);
void presign_scratch_clear(struct presign_scratch *s);

/* Builds transaction k of job, packs it, signs it and appends the signature
 * to s->tx. Returns 0, or -1 with err. */
int presign_sign(const struct presign_job *job, uint64_t k, struct presign_scratch *s,
                 struct presign_result *res, char *err);

/* Appends the broadcast request for the signed s->tx to out:
 * {"id":<blank field>,"method":"call","params":[API,"broadcast_transaction",[TX]]}
 * Overflow of a fixed out shows in out->overflow. */
void presign_render_frame(struct sbuf *out, const struct presign_job *job,
                          const struct presign_scratch *s);

/* Writes id right-aligned into a frame's id field (any uint64: every digit
 * fits, nothing is truncated). */
void presign_set_frame_id(char *frame, uint64_t id);

/* Appends the offline form: {"txid":"..","hex":"<signed>","tx":{node JSON}} */
void presign_render_line(struct sbuf *out, const struct presign_scratch *s,
                         const struct presign_result *res);

#endif
