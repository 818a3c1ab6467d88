/* validate.c - see validate.h. Assertion texts are bitshares-core's
 * (db_block.cpp, transaction.cpp, transfer.cpp, market.cpp, evaluator.hpp,
 * fc elliptic_secp256k1.cpp) so that clients matching on them work. */
#include "validate.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hex.h"
#include "sign.h"
#include "timefmt.h"
#include "txjson.h"

#define PUSH_LIMIT (1024 * 1024) /* db_block.cpp push_transaction */

struct validator {
    struct chain *c;
    const struct sign_ctx *sctx;
    struct tx tx;
    uint8_t *buf;
    size_t buf_cap;
    uint8_t (*keys)[PUBKEY_LEN]; /* recovered, one per signature */
    bool *used;
    size_t keys_cap, used_cap;
    struct chain_op *ops;
    size_t ops_cap;
    uint32_t *stamp; /* per account: generation that last required it */
    uint32_t gen;
};

struct validator *validator_new(struct chain *c, const struct sign_ctx *sctx, char *err)
{
    struct validator *v = calloc(1, sizeof *v);
    size_t na = chain_genesis(c)->naccounts;

    if (v == NULL || (v->stamp = calloc(na ? na : 1, sizeof *v->stamp)) == NULL) {
        free(v);
        err_set(err, "out of memory");
        return NULL;
    }
    v->c = c;
    v->sctx = sctx;
    tx_init(&v->tx);
    return v;
}

void validator_free(struct validator *v)
{
    if (v == NULL)
        return;
    tx_clear(&v->tx);
    free(v->buf);
    free(v->keys);
    free(v->used);
    free(v->ops);
    free(v->stamp);
    free(v);
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    size_t n = *cap ? *cap : 16;
    void *np;

    if (need <= *cap)
        return 0;
    while (n < need)
        n *= 2;
    np = realloc(*p, n * elem);
    if (np == NULL)
        return -1;
    *p = np;
    *cap = n;
    return 0;
}

static int oom(struct fcerr *e)
{
    fcerr_throw(e, FCERR_EVALUATE, 0, "exception", "unspecified", "push_transaction", FCERR_HERE,
                "out of memory", "out of memory");
    return -1;
}

uint64_t validator_required_fee(const struct genesis_params *p, enum tx_op_type type,
                                size_t memo_len)
{
    unsigned __int128 fee;

    if (type == TX_OP_TRANSFER) {
        fee = p->fee_transfer;
        if (memo_len > 0)
            fee += ((unsigned __int128)memo_len * p->fee_transfer_per_kbyte) / 1024;
    } else {
        fee = p->fee_limit_order;
    }
    fee = fee * p->fee_scale / 10000;
    return fee > INT64_MAX ? (uint64_t)INT64_MAX : (uint64_t)fee;
}

int validator_parse(struct validator *v, const struct jv *txj, struct validated *out,
                    struct fcerr *e)
{
    char err[ERR_LEN];
    size_t slen;
    long n;

    if (txjson_parse(&v->tx, txj, err) < 0) {
        fcerr_throw(e, FCERR_PARSE, 7, "bad_cast_exception", "Bad Cast", "from_variant",
                    FCERR_HERE, "${what}", "%s", err);
        return -1;
    }
    slen = tx_packed_size(&v->tx, true);
    if (grow((void **)&v->buf, &v->buf_cap, slen, 1) < 0)
        return oom(e);
    n = tx_pack(&v->tx, true, v->buf, v->buf_cap, err);
    if (n < 0) {
        fcerr_throw(e, FCERR_PARSE, 7, "bad_cast_exception", "Bad Cast", "pack", FCERR_HERE,
                    "${what}", "%s", err);
        return -1;
    }
    out->tx = &v->tx;
    out->packed = v->buf;
    out->signed_len = (size_t)n;
    out->unsigned_len = tx_packed_size(&v->tx, false);
    out->entry = NULL;
    tx_id(out->txid, v->buf, out->unsigned_len);
    return 0;
}

/* transaction::validate() and the operations' validate(). */
static int check_validate(const struct tx *tx, struct fcerr *e)
{
    const char *m = "validate";

    if (tx->nops == 0) {
        fcerr_assert(e, FCERR_VALIDATE, m, FCERR_HERE,
                     "operations.size() > 0: A transaction must have at least one operation",
                     "operations.size() > 0: A transaction must have at least one operation");
        return -1;
    }
    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];
        const char *f = NULL;
        if (op->type == TX_OP_TRANSFER) {
            const struct tx_transfer *t = &op->u.transfer;
            if (t->fee.amount < 0)
                f = "fee.amount >= 0: ";
            else if (t->from == t->to)
                f = "from != to: ";
            else if (t->amount.amount <= 0)
                f = "amount.amount > 0: ";
        } else {
            const struct tx_limit_order *l = &op->u.limit_order;
            if (l->amount_to_sell.asset_id == l->min_to_receive.asset_id)
                f = "amount_to_sell.asset_id != min_to_receive.asset_id: ";
            else if (l->fee.amount < 0)
                f = "fee.amount >= 0: ";
            else if (l->amount_to_sell.amount <= 0)
                f = "amount_to_sell.amount > 0: ";
            else if (l->min_to_receive.amount <= 0)
                f = "min_to_receive.amount > 0: ";
        }
        if (f != NULL) {
            fcerr_assert(e, FCERR_VALIDATE, m, FCERR_HERE, f, "%s", f);
            fcerr_data(e, "{\"operation\":%zu}", i);
            return -1;
        }
    }
    return 0;
}

/* signed_transaction::get_signature_keys. */
static int check_signatures(struct validator *v, const uint8_t digest[32], struct fcerr *e)
{
    const struct tx *tx = &v->tx;
    char err[ERR_LEN];

    if (grow((void **)&v->keys, &v->keys_cap, tx->nsigs, PUBKEY_LEN) < 0 ||
        grow((void **)&v->used, &v->used_cap, tx->nsigs, sizeof *v->used) < 0)
        return oom(e);
    memset(v->used, 0, tx->nsigs * sizeof *v->used);
    for (size_t i = 0; i < tx->nsigs; i++) {
        const uint8_t *sig = tx->sigs[i];
        if (sig[0] < 27 || sig[0] > 34) {
            fcerr_throw(e, FCERR_SIGNATURE, 0, "exception", "unspecified", "public_key",
                        FCERR_HERE, "unable to reconstruct public key from signature",
                        "unable to reconstruct public key from signature");
            return -1;
        }
        if (!sign_is_canonical(sig)) {
            fcerr_assert(e, FCERR_SIGNATURE, "public_key", FCERR_HERE,
                         "is_canonical( c ): signature is not canonical",
                         "is_canonical( c ): signature is not canonical");
            return -1;
        }
        if (sign_recover(v->sctx, sig, digest, false, v->keys[i], err) < 0) {
            fcerr_assert(e, FCERR_SIGNATURE, "public_key", FCERR_HERE,
                         "secp256k1_ecdsa_recover_compact( ... ): ",
                         "secp256k1_ecdsa_recover_compact( ... ): %s", err);
            return -1;
        }
        for (size_t j = 0; j < i; j++) {
            if (memcmp(v->keys[j], v->keys[i], PUBKEY_LEN) == 0) {
                fcerr_throw(e, FCERR_DUP_SIG, 4010005, "tx_duplicate_sig",
                            "duplicate signature included", "get_signature_keys", FCERR_HERE,
                            "Duplicate Signature detected", "Duplicate Signature detected");
                return -1;
            }
        }
    }
    return 0;
}

static int unknown_object(struct fcerr *e, unsigned type, uint64_t id)
{
    fcerr_assert(e, FCERR_UNKNOWN_OBJECT, "get", FCERR_HERE,
                 "maybe_found != nullptr: Unable to find Object",
                 "maybe_found != nullptr: Unable to find Object");
    fcerr_data(e, "{\"id\":\"1.%u.%" PRIu64 "\"}", type, id);
    return -1;
}

static uint64_t op_payer(const struct tx_op *op)
{
    return op->type == TX_OP_TRANSFER ? op->u.transfer.from : op->u.limit_order.seller;
}

/* verify_authority: every fee payer's active key (or, since
 * HARDFORK_CORE_584, its owner key) among the signers; no signer unused.
 * Fills ops[i].payer. */
static int check_authority(struct validator *v, struct fcerr *e)
{
    const struct tx *tx = &v->tx;
    const struct chain *c = v->c;

    if (++v->gen == 0) {
        memset(v->stamp, 0, chain_genesis(c)->naccounts * sizeof *v->stamp);
        v->gen = 1;
    }
    for (size_t i = 0; i < tx->nops; i++) {
        uint64_t id = op_payer(&tx->ops[i]);
        long ai = chain_account_by_id(c, id);
        const struct genesis_account *a;
        bool ok = false;

        if (ai < 0)
            return unknown_object(e, 2, id);
        v->ops[i].payer = (uint32_t)ai;
        if (v->stamp[ai] == v->gen)
            continue;
        v->stamp[ai] = v->gen;
        a = chain_account(c, (size_t)ai);
        for (size_t k = 0; k < tx->nsigs && !ok; k++)
            if (memcmp(v->keys[k], a->active, PUBKEY_LEN) == 0)
                ok = v->used[k] = true;
        for (size_t k = 0; k < tx->nsigs && !ok; k++)
            if (memcmp(v->keys[k], a->owner, PUBKEY_LEN) == 0)
                ok = v->used[k] = true;
        if (!ok) {
            fcerr_throw(e, FCERR_MISSING_AUTH, 4010001, "tx_missing_active_auth",
                        "missing required active authority", "verify_authority", FCERR_HERE,
                        "Missing Active Authority ${id}", "Missing Active Authority 1.2.%" PRIu64,
                        id);
            fcerr_data(e, "{\"id\":\"1.2.%" PRIu64 "\"}", id);
            return -1;
        }
    }
    for (size_t k = 0; k < tx->nsigs; k++) {
        if (!v->used[k]) {
            fcerr_throw(e, FCERR_IRRELEVANT_SIG, 4010004, "tx_irrelevant_sig",
                        "irrelevant signature included", "verify_authority", FCERR_HERE,
                        "Unnecessary signature(s) detected", "Unnecessary signature(s) detected");
            return -1;
        }
    }
    return 0;
}

/* TaPoS, expiration window and maximum_transaction_size (skipped at
 * head block 0, as the node does). */
static int check_head(struct validator *v, size_t unsigned_len, struct fcerr *e)
{
    const struct chain *c = v->c;
    const struct genesis_params *p = &chain_genesis(c)->params;
    const struct tx *tx = &v->tx;
    uint32_t now = chain_head_time(c);
    const uint8_t *id;
    uint32_t prefix;
    char t1[TIMEFMT_LEN], t2[TIMEFMT_LEN];

    if (chain_head_num(c) == 0)
        return 0;
    id = chain_summary(c, tx->ref_block_num);
    prefix = (uint32_t)id[4] | (uint32_t)id[5] << 8 | (uint32_t)id[6] << 16 |
             (uint32_t)id[7] << 24;
    if (tx->ref_block_prefix != prefix) {
        fcerr_assert(e, FCERR_TAPOS, "_apply_transaction", FCERR_HERE,
                     "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1]: ",
                     "trx.ref_block_prefix == tapos_block_summary.block_id._hash[1]: ");
        return -1;
    }
    timefmt_format(t1, tx->expiration);
    timefmt_format(t2, now);
    if ((uint64_t)tx->expiration > (uint64_t)now + p->max_time_until_expiration) {
        fcerr_assert(e, FCERR_EXPIRATION_FAR, "_apply_transaction", FCERR_HERE,
                     "trx.expiration <= now + chain_parameters.maximum_time_until_expiration: ",
                     "trx.expiration <= now + chain_parameters.maximum_time_until_expiration: ");
        fcerr_data(e, "{\"trx.expiration\":\"%s\",\"now\":\"%s\",\"max_til_exp\":%" PRIu32 "}",
                   t1, t2, p->max_time_until_expiration);
        return -1;
    }
    if (now > tx->expiration) {
        fcerr_assert(e, FCERR_EXPIRED, "_apply_transaction", FCERR_HERE,
                     "now <= trx.expiration: ", "now <= trx.expiration: ");
        fcerr_data(e, "{\"now\":\"%s\",\"trx.exp\":\"%s\"}", t2, t1);
        return -1;
    }
    if (unsigned_len > p->max_tx_size) {
        fcerr_assert(e, FCERR_SIZE, "_apply_transaction", FCERR_HERE,
                     "trx.get_packed_size() <= chain_parameters.maximum_transaction_size: "
                     "Transaction exceeds maximum transaction size.",
                     "trx.get_packed_size() <= chain_parameters.maximum_transaction_size: "
                     "Transaction exceeds maximum transaction size.");
        return -1;
    }
    return 0;
}

/* Resolves the operations' other objects and their required fees. */
static int resolve_ops(struct validator *v, struct fcerr *e)
{
    const struct tx *tx = &v->tx;
    const struct genesis *g = chain_genesis(v->c);

    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];
        struct chain_op *co = &v->ops[i];
        const struct tx_asset *fee, *amount;
        int fa, aa, ra = 0;
        size_t memo_len = 0;

        co->type = (uint8_t)op->type;
        if (op->type == TX_OP_TRANSFER) {
            const struct tx_transfer *t = &op->u.transfer;
            long to;
            fee = &t->fee;
            amount = &t->amount;
            if ((fa = genesis_asset_index(g, fee->asset_id)) < 0)
                return unknown_object(e, 3, fee->asset_id);
            if ((to = chain_account_by_id(v->c, t->to)) < 0)
                return unknown_object(e, 2, t->to);
            co->to = (uint32_t)to;
            if (t->has_memo) {
                size_t ml = t->memo.msg_len, vl = 1;
                while ((ml >>= 7) != 0)
                    vl++;
                memo_len = 2 * PUBKEY_LEN + 8 + vl + t->memo.msg_len;
            }
        } else {
            const struct tx_limit_order *l = &op->u.limit_order;
            fee = &l->fee;
            amount = &l->amount_to_sell;
            if ((fa = genesis_asset_index(g, fee->asset_id)) < 0)
                return unknown_object(e, 3, fee->asset_id);
            if ((ra = genesis_asset_index(g, l->min_to_receive.asset_id)) < 0)
                return unknown_object(e, 3, l->min_to_receive.asset_id);
            co->expiration = l->expiration;
        }
        if ((aa = genesis_asset_index(g, amount->asset_id)) < 0)
            return unknown_object(e, 3, amount->asset_id);
        co->fee_asset = (uint32_t)fa;
        co->fee = fee->amount;
        co->asset = (uint32_t)aa;
        co->amount = amount->amount;
        co->receive_asset = (uint32_t)ra;
        co->required_fee = validator_required_fee(&g->params, op->type, memo_len);
    }
    return 0;
}

int validator_check(struct validator *v, const struct jv *txj, bool push, struct validated *out,
                    struct fcerr *e)
{
    const struct genesis *g = chain_genesis(v->c);
    uint8_t digest[32];
    char hex[2 * TX_ID_LEN + 1];

    if (validator_parse(v, txj, out, e) < 0 || check_validate(&v->tx, e) < 0)
        return -1;
    if (grow((void **)&v->ops, &v->ops_cap, v->tx.nops, sizeof *v->ops) < 0)
        return oom(e);
    memset(v->ops, 0, v->tx.nops * sizeof *v->ops);
    tx_digest(digest, g->chain_id, out->packed, out->unsigned_len);
    if (check_signatures(v, digest, e) < 0)
        return -1;
    if (out->signed_len >= PUSH_LIMIT) {
        fcerr_assert(e, FCERR_SIZE, "push_transaction", FCERR_HERE,
                     "fc::raw::pack_size( trx ) < (1024 * 1024): Transaction exceeds maximum "
                     "transaction size.",
                     "fc::raw::pack_size( trx ) < (1024 * 1024): Transaction exceeds maximum "
                     "transaction size.");
        return -1;
    }
    if (chain_txid_known(v->c, out->txid)) {
        hex_encode(hex, out->txid, TX_ID_LEN);
        fcerr_throw(e, FCERR_DUP_TX, 3030001, "duplicate_transaction", "duplicate transaction",
                    "_apply_transaction", FCERR_HERE,
                    "Transaction '${txid}' is already in the database",
                    "Transaction '%s' is already in the database", hex);
        fcerr_data(e, "{\"txid\":\"%s\"}", hex);
        return -1;
    }
    if (check_authority(v, e) < 0 || check_head(v, out->unsigned_len, e) < 0 ||
        resolve_ops(v, e) < 0)
        return -1;
    if (chain_evaluate(v->c, v->ops, v->tx.nops, push, e) < 0)
        return -1;
    if (push) {
        out->entry = chain_push(v->c, v->ops, v->tx.nops, out->packed, out->signed_len,
                                out->unsigned_len, out->txid, v->tx.expiration,
                                v->tx.ref_block_num, v->tx.ref_block_prefix);
        if (out->entry == NULL) {
            /* Leave the pending state as it was. */
            chain_unevaluate(v->c, v->ops, v->tx.nops);
            return oom(e);
        }
    }
    return 0;
}
