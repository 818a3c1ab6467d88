/* tx.c - see tx.h. Layouts: ../shared/docs/bitshares-protocol.md §1. */
#include "tx.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "pack.h"

void tx_init(struct tx *tx)
{
    memset(tx, 0, sizeof *tx);
}

void tx_clear(struct tx *tx)
{
    free(tx->ops);
    free(tx->sigs);
    free(tx->blob);
    tx_init(tx);
}

void tx_reset(struct tx *tx)
{
    tx->ref_block_num = 0;
    tx->ref_block_prefix = 0;
    tx->expiration = 0;
    tx->nops = 0;
    tx->nsigs = 0;
    tx->blob_len = 0;
}

/* Grows *arr (elem-sized items, *cap of them) to hold need items, doubling
 * so that a reused tx stops allocating once it has seen its largest size. */
static int grow(void **arr, size_t *cap, size_t need, size_t elem, char *err)
{
    size_t ncap;
    void *p;

    if (need <= *cap)
        return 0;
    ncap = *cap > 0 ? *cap : 4;
    while (ncap < need) {
        if (ncap > SIZE_MAX / 2 / elem)
            return err_set(err, "out of memory (%zu items)", need);
        ncap *= 2;
    }
    p = realloc(*arr, ncap * elem);
    if (p == NULL)
        return err_set(err, "out of memory (%zu items)", need);
    *arr = p;
    *cap = ncap;
    return 0;
}

struct tx_op *tx_add_op(struct tx *tx, char *err)
{
    struct tx_op *op;
    void *arr = tx->ops;

    if (grow(&arr, &tx->ops_cap, tx->nops + 1, sizeof *tx->ops, err) < 0)
        return NULL;
    tx->ops = arr;
    op = &tx->ops[tx->nops++];
    memset(op, 0, sizeof *op);
    return op;
}

int tx_add_sig(struct tx *tx, const uint8_t sig[TX_SIG_LEN], char *err)
{
    void *arr = tx->sigs;

    if (grow(&arr, &tx->sigs_cap, tx->nsigs + 1, TX_SIG_LEN, err) < 0)
        return -1;
    tx->sigs = arr;
    memcpy(tx->sigs[tx->nsigs++], sig, TX_SIG_LEN);
    return 0;
}

int tx_memo_set_message(struct tx *tx, struct tx_memo *memo, const uint8_t *msg, size_t len,
                        char *err)
{
    void *arr = tx->blob;
    size_t src_off = 0;
    bool inside = len > 0 && tx->blob != NULL && msg >= tx->blob &&
                  msg < tx->blob + tx->blob_len;

    if (len > SIZE_MAX - tx->blob_len)
        return err_set(err, "memo message too long (%zu bytes)", len);
    /* A message copied from another memo of the same tx would dangle when
     * the blob moves; remember it by offset. */
    if (inside)
        src_off = (size_t)(msg - tx->blob);
    if (grow(&arr, &tx->blob_cap, tx->blob_len + len, 1, err) < 0)
        return -1;
    tx->blob = arr;
    if (inside)
        msg = tx->blob + src_off;
    if (len > 0)
        memcpy(tx->blob + tx->blob_len, msg, len);
    memo->msg_off = tx->blob_len;
    memo->msg_len = len;
    tx->blob_len += len;
    return 0;
}

const uint8_t *tx_memo_message(const struct tx *tx, const struct tx_memo *memo)
{
    static const uint8_t empty[1];

    if (tx->blob == NULL)
        return empty;
    return tx->blob + memo->msg_off;
}

/* ---- packing ---------------------------------------------------------- */

static void pack_asset(struct pack_writer *w, const struct tx_asset *a)
{
    pack_i64(w, a->amount);
    pack_varint(w, a->asset_id);
}

static void pack_op(struct pack_writer *w, const struct tx *tx, const struct tx_op *op)
{
    pack_varint(w, (uint64_t)op->type);
    if (op->type == TX_OP_TRANSFER) {
        const struct tx_transfer *t = &op->u.transfer;

        pack_asset(w, &t->fee);
        pack_varint(w, t->from);
        pack_varint(w, t->to);
        pack_asset(w, &t->amount);
        pack_bool(w, t->has_memo);
        if (t->has_memo) {
            pack_bytes(w, t->memo.from, PUBKEY_LEN);
            pack_bytes(w, t->memo.to, PUBKEY_LEN);
            pack_u64(w, t->memo.nonce);
            pack_varint(w, t->memo.msg_len);
            pack_bytes(w, tx_memo_message(tx, &t->memo), t->memo.msg_len);
        }
        pack_varint(w, 0); /* extensions */
    } else {
        const struct tx_limit_order *l = &op->u.limit_order;

        pack_asset(w, &l->fee);
        pack_varint(w, l->seller);
        pack_asset(w, &l->amount_to_sell);
        pack_asset(w, &l->min_to_receive);
        pack_u32(w, l->expiration);
        pack_bool(w, l->fill_or_kill);
        pack_varint(w, 0); /* extension<options_type> with nothing set */
    }
}

static void pack_tx(struct pack_writer *w, const struct tx *tx, bool with_sigs)
{
    pack_u16(w, tx->ref_block_num);
    pack_u32(w, tx->ref_block_prefix);
    pack_u32(w, tx->expiration);
    pack_varint(w, tx->nops);
    for (size_t i = 0; i < tx->nops; i++)
        pack_op(w, tx, &tx->ops[i]);
    pack_varint(w, 0); /* extensions */
    if (with_sigs) {
        pack_varint(w, tx->nsigs);
        pack_bytes(w, tx->sigs, tx->nsigs * TX_SIG_LEN);
    }
}

size_t tx_packed_size(const struct tx *tx, bool with_sigs)
{
    struct pack_writer w;

    pack_writer_init(&w, NULL, 0);
    pack_tx(&w, tx, with_sigs);
    return w.len;
}

static int check_id(uint64_t id, const char *what, size_t i, char *err)
{
    if (id > TX_INSTANCE_MAX)
        return err_set(err, "operations[%zu]: %s id instance %" PRIu64 " exceeds 2^48-1", i,
                       what, id);
    return 0;
}

/* What the binary format cannot carry: ids beyond 48 bits (the node would
 * read them back as different ids), unknown types, memo bytes outside the
 * blob. */
static int check_packable(const struct tx *tx, char *err)
{
    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];

        if (op->type == TX_OP_TRANSFER) {
            const struct tx_transfer *t = &op->u.transfer;

            if (check_id(t->fee.asset_id, "fee asset", i, err) < 0 ||
                check_id(t->from, "from", i, err) < 0 || check_id(t->to, "to", i, err) < 0 ||
                check_id(t->amount.asset_id, "amount asset", i, err) < 0)
                return -1;
            if (t->has_memo && (t->memo.msg_off > tx->blob_len ||
                                t->memo.msg_len > tx->blob_len - t->memo.msg_off))
                return err_set(err, "operations[%zu]: memo message outside the tx blob", i);
        } else if (op->type == TX_OP_LIMIT_ORDER_CREATE) {
            const struct tx_limit_order *l = &op->u.limit_order;

            if (check_id(l->fee.asset_id, "fee asset", i, err) < 0 ||
                check_id(l->seller, "seller", i, err) < 0 ||
                check_id(l->amount_to_sell.asset_id, "amount_to_sell asset", i, err) < 0 ||
                check_id(l->min_to_receive.asset_id, "min_to_receive asset", i, err) < 0)
                return -1;
        } else {
            return err_set(err, "operations[%zu]: unknown operation type %d", i, (int)op->type);
        }
    }
    return 0;
}

long tx_pack(const struct tx *tx, bool with_sigs, uint8_t *out, size_t cap, char *err)
{
    struct pack_writer w;

    if (check_packable(tx, err) < 0)
        return -1;
    pack_writer_init(&w, out, cap);
    pack_tx(&w, tx, with_sigs);
    if (w.overflow)
        return err_set(err, "output buffer too small: %zu bytes needed, %zu available",
                       tx_packed_size(tx, with_sigs), cap);
    return (long)w.len;
}

/* ---- unpacking -------------------------------------------------------- */

static int unpack_id(struct pack_reader *r, uint64_t *id, const char *what)
{
    size_t start = r->pos;

    if (unpack_varint(r, id) < 0)
        return -1;
    if (*id > TX_INSTANCE_MAX) {
        r->pos = start;
        return unpack_fail(r, "%s id instance %" PRIu64 " exceeds 2^48-1", what, *id);
    }
    return 0;
}

static int unpack_asset(struct pack_reader *r, struct tx_asset *a, const char *what)
{
    if (unpack_i64(r, &a->amount) < 0)
        return -1;
    return unpack_id(r, &a->asset_id, what);
}

static int unpack_empty_ext(struct pack_reader *r, const char *what)
{
    size_t start = r->pos;
    uint64_t n;

    if (unpack_varint(r, &n) < 0)
        return -1;
    if (n != 0) {
        r->pos = start;
        return unpack_fail(r, "non-empty %s (%" PRIu64 " entries)", what, n);
    }
    return 0;
}

/* Counts come from the input, so an element count larger than the bytes
 * left (each element takes at least min bytes) is a lie; failing here keeps
 * a 5-byte input from asking for gigabytes. */
static int unpack_count(struct pack_reader *r, uint64_t *n, size_t min, const char *what)
{
    size_t start = r->pos;

    if (unpack_varint(r, n) < 0)
        return -1;
    if (*n > (r->len - r->pos) / min) {
        size_t left = r->len - r->pos;

        r->pos = start;
        return unpack_fail(r, "%s count %" PRIu64 " exceeds the %zu bytes left", what, *n, left);
    }
    return 0;
}

static int unpack_memo(struct pack_reader *r, struct tx *tx, struct tx_memo *m, char *err)
{
    uint64_t n;
    const uint8_t *msg;

    if (unpack_bytes(r, m->from, PUBKEY_LEN) < 0 || unpack_bytes(r, m->to, PUBKEY_LEN) < 0 ||
        unpack_u64(r, &m->nonce) < 0 || unpack_count(r, &n, 1, "memo message byte") < 0)
        return -1;
    msg = unpack_view(r, (size_t)n);
    if (msg == NULL)
        return -1;
    return tx_memo_set_message(tx, m, msg, (size_t)n, err);
}

static int unpack_transfer(struct pack_reader *r, struct tx *tx, struct tx_transfer *t,
                           char *err)
{
    if (unpack_asset(r, &t->fee, "fee asset") < 0 || unpack_id(r, &t->from, "from") < 0 ||
        unpack_id(r, &t->to, "to") < 0 || unpack_asset(r, &t->amount, "amount asset") < 0 ||
        unpack_bool(r, &t->has_memo) < 0)
        return -1;
    if (t->has_memo && unpack_memo(r, tx, &t->memo, err) < 0)
        return -1;
    return unpack_empty_ext(r, "transfer extensions");
}

static int unpack_limit_order(struct pack_reader *r, struct tx_limit_order *l)
{
    if (unpack_asset(r, &l->fee, "fee asset") < 0 || unpack_id(r, &l->seller, "seller") < 0 ||
        unpack_asset(r, &l->amount_to_sell, "amount_to_sell asset") < 0 ||
        unpack_asset(r, &l->min_to_receive, "min_to_receive asset") < 0 ||
        unpack_u32(r, &l->expiration) < 0 || unpack_bool(r, &l->fill_or_kill) < 0)
        return -1;
    return unpack_empty_ext(r, "limit order extensions");
}

static int unpack_op(struct pack_reader *r, struct tx *tx, char *err)
{
    uint64_t tag;
    size_t start = r->pos;
    struct tx_op *op;

    if (unpack_varint(r, &tag) < 0)
        return -1;
    if (tag != TX_OP_TRANSFER && tag != TX_OP_LIMIT_ORDER_CREATE) {
        r->pos = start;
        return unpack_fail(r, "unknown operation tag %" PRIu64, tag);
    }
    op = tx_add_op(tx, err);
    if (op == NULL)
        return -1;
    op->type = (enum tx_op_type)tag;
    if (tag == TX_OP_TRANSFER)
        return unpack_transfer(r, tx, &op->u.transfer, err);
    return unpack_limit_order(r, &op->u.limit_order);
}

int tx_unpack(struct tx *tx, const uint8_t *in, size_t len, bool with_sigs, char *err)
{
    struct pack_reader r;
    uint64_t n;

    tx_reset(tx);
    pack_reader_init(&r, in, len, err);
    if (unpack_u16(&r, &tx->ref_block_num) < 0 || unpack_u32(&r, &tx->ref_block_prefix) < 0 ||
        unpack_u32(&r, &tx->expiration) < 0)
        goto fail;
    /* The smallest operation (a transfer without memo) takes 23 bytes. */
    if (unpack_count(&r, &n, 23, "operation") < 0)
        goto fail;
    for (uint64_t i = 0; i < n; i++) {
        if (unpack_op(&r, tx, err) < 0) {
            err_prefix(err, "operations[%" PRIu64 "]", i);
            goto fail;
        }
    }
    if (unpack_empty_ext(&r, "transaction extensions") < 0)
        goto fail;
    if (with_sigs) {
        if (unpack_count(&r, &n, TX_SIG_LEN, "signature") < 0)
            goto fail;
        for (uint64_t i = 0; i < n; i++) {
            const uint8_t *sig = unpack_view(&r, TX_SIG_LEN);

            if (sig == NULL || tx_add_sig(tx, sig, err) < 0)
                goto fail;
        }
    }
    if (unpack_done(&r) < 0)
        goto fail;
    return 0;
fail:
    tx_reset(tx);
    return -1;
}

/* ---- hashes, TaPoS ---------------------------------------------------- */

void tx_digest(uint8_t digest[32], const uint8_t chain_id[TX_CHAIN_ID_LEN],
               const uint8_t *packed_unsigned, size_t len)
{
    hash_sha256_2(digest, chain_id, TX_CHAIN_ID_LEN, packed_unsigned, len);
}

void tx_id(uint8_t id[TX_ID_LEN], const uint8_t *packed_unsigned, size_t len)
{
    uint8_t h[32];

    hash_sha256(h, packed_unsigned, len);
    memcpy(id, h, TX_ID_LEN);
}

uint32_t tx_block_num(const uint8_t block_id[TX_BLOCK_ID_LEN])
{
    return (uint32_t)block_id[0] << 24 | (uint32_t)block_id[1] << 16 |
           (uint32_t)block_id[2] << 8 | block_id[3];
}

void tx_set_tapos(struct tx *tx, const uint8_t block_id[TX_BLOCK_ID_LEN])
{
    tx->ref_block_num = (uint16_t)(tx_block_num(block_id) & 0xffff);
    tx->ref_block_prefix = (uint32_t)block_id[4] | (uint32_t)block_id[5] << 8 |
                           (uint32_t)block_id[6] << 16 | (uint32_t)block_id[7] << 24;
}

/* ---- validate --------------------------------------------------------- */

int tx_validate(const struct tx *tx, char *err)
{
    if (tx->nops == 0)
        return err_set(err, "transaction has no operations");
    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];

        if (op->type == TX_OP_TRANSFER) {
            const struct tx_transfer *t = &op->u.transfer;

            if (t->fee.amount < 0)
                return err_set(err, "operations[%zu]: fee must be >= 0", i);
            if (t->from == t->to)
                return err_set(err, "operations[%zu]: from and to must differ", i);
            if (t->amount.amount <= 0)
                return err_set(err, "operations[%zu]: amount must be > 0", i);
        } else if (op->type == TX_OP_LIMIT_ORDER_CREATE) {
            const struct tx_limit_order *l = &op->u.limit_order;

            if (l->fee.amount < 0)
                return err_set(err, "operations[%zu]: fee must be >= 0", i);
            if (l->amount_to_sell.asset_id == l->min_to_receive.asset_id)
                return err_set(err,
                               "operations[%zu]: amount_to_sell and min_to_receive must be "
                               "different assets",
                               i);
            if (l->amount_to_sell.amount <= 0)
                return err_set(err, "operations[%zu]: amount_to_sell must be > 0", i);
            if (l->min_to_receive.amount <= 0)
                return err_set(err, "operations[%zu]: min_to_receive must be > 0", i);
        } else {
            return err_set(err, "operations[%zu]: unknown operation type %d", i, (int)op->type);
        }
    }
    return check_packable(tx, err);
}

size_t tx_required_accounts(const struct tx *tx, uint64_t *out, size_t cap)
{
    size_t n = 0;

    for (size_t i = 0; i < tx->nops; i++) {
        const struct tx_op *op = &tx->ops[i];
        uint64_t acc = op->type == TX_OP_TRANSFER ? op->u.transfer.from
                                                  : op->u.limit_order.seller;
        bool seen = false;

        /* Quadratic, but over the few distinct accounts of one tx; when the
         * list outgrew cap the repeats are looked up in ops instead. */
        for (size_t j = 0; j < n && j < cap && !seen; j++)
            seen = out[j] == acc;
        for (size_t k = 0; n > cap && k < i && !seen; k++) {
            const struct tx_op *o = &tx->ops[k];

            seen = (o->type == TX_OP_TRANSFER ? o->u.transfer.from : o->u.limit_order.seller) ==
                   acc;
        }
        if (seen)
            continue;
        if (n < cap)
            out[n] = acc;
        n++;
    }
    return n;
}
