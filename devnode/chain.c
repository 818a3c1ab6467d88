/* chain.c - chain state, lookups, operation evaluation and the pending
 * queue. Block production is in chainblock.c. */
#include "chain_impl.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hash.h"
#include "sign.h"

static uint64_t hash_name(const char *s, size_t len)
{
    uint64_t h = UINT64_C(1469598103934665603); /* FNV-1a */

    for (size_t i = 0; i < len; i++) {
        h ^= (uint8_t)s[i];
        h *= UINT64_C(1099511628211);
    }
    return h;
}

static uint64_t hash_id(uint64_t id)
{
    id ^= id >> 33;
    id *= UINT64_C(0xff51afd7ed558ccd);
    id ^= id >> 33;
    return id;
}

static void map_insert(uint32_t *map, size_t mask, uint64_t h, uint32_t index)
{
    size_t i = (size_t)h & mask;

    while (map[i] != 0)
        i = (i + 1) & mask;
    map[i] = index + 1;
}

long chain_account_by_id(const struct chain *c, uint64_t id)
{
    for (size_t i = (size_t)hash_id(id) & c->map_mask; c->by_id[i] != 0;
         i = (i + 1) & c->map_mask) {
        uint32_t x = c->by_id[i] - 1;
        if (c->g.accounts[x].id == id)
            return (long)x;
    }
    return -1;
}

long chain_account_by_name(const struct chain *c, const char *name, size_t len)
{
    if (len >= GENESIS_NAME_MAX)
        return -1;
    for (size_t i = (size_t)hash_name(name, len) & c->map_mask; c->by_name[i] != 0;
         i = (i + 1) & c->map_mask) {
        uint32_t x = c->by_name[i] - 1;
        const char *n = c->g.accounts[x].name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return (long)x;
    }
    return -1;
}

struct chain *chain_new(const struct genesis *g, const struct chain_opts *o,
                        const struct sign_ctx *sctx, uint32_t genesis_time, char *err)
{
    struct chain *c = calloc(1, sizeof *c);
    size_t na = g->naccounts, nb, mapcap = 16;
    uint8_t secret[32];

    if (c == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    c->g = *g;
    c->g.accounts = NULL;
    c->g.naccounts = c->g.accounts_cap = 0;
    c->opts = *o;
    if (c->opts.keep_blocks == 0)
        c->opts.keep_blocks = 1;
    c->sctx = sctx;
    c->genesis_time = c->head_time = genesis_time;
    c->next_order_id = 0;
    if (c->opts.witnesses == 0)
        c->opts.witnesses = 1;
    if (c->opts.witnesses > CHAIN_MAX_WITNESSES) {
        err_set(err, "at most %d witnesses", CHAIN_MAX_WITNESSES);
        goto fail;
    }
    /* init_genesis: every recent slot counts as filled, witness 1.6.1. */
    c->dgp.filled_hi = c->dgp.filled_lo = UINT64_MAX;
    c->dgp.current_witness = 1;
    if (na > 0) {
        c->g.accounts = malloc(na * sizeof *c->g.accounts);
        if (c->g.accounts == NULL)
            goto oom;
        memcpy(c->g.accounts, g->accounts, na * sizeof *c->g.accounts);
        c->g.naccounts = c->g.accounts_cap = na;
    }
    nb = (na ? na : 1) * g->nassets;
    c->committed = calloc(nb, sizeof *c->committed);
    c->pending = calloc(nb, sizeof *c->pending);
    while (mapcap < na * 2)
        mapcap *= 2;
    c->map_mask = mapcap - 1;
    c->by_id = calloc(mapcap, sizeof *c->by_id);
    c->by_name = calloc(mapcap, sizeof *c->by_name);
    c->summary = calloc(CHAIN_SUMMARY_SLOTS, sizeof *c->summary);
    c->history = txmap_new();
    c->blocks = calloc(c->opts.keep_blocks, sizeof *c->blocks);
    if (c->committed == NULL || c->pending == NULL || c->by_id == NULL || c->by_name == NULL ||
        c->summary == NULL || c->history == NULL || c->blocks == NULL)
        goto oom;
    for (size_t a = 0; a < g->nassets; a++) {
        /* Supply within max_supply keeps every later sum inside int64. */
        int64_t sum = 0;
        for (size_t i = 0; i < na; i++) {
            int64_t b = g->accounts[i].balances[a];
            if (b > g->assets[a].max_supply - sum) {
                err_set(err, "balances of %s exceed its max_supply", g->assets[a].symbol);
                goto fail;
            }
            sum += b;
        }
    }
    for (size_t i = 0; i < na; i++) {
        const struct genesis_account *ac = &g->accounts[i];
        map_insert(c->by_id, c->map_mask, hash_id(ac->id), (uint32_t)i);
        map_insert(c->by_name, c->map_mask, hash_name(ac->name, strlen(ac->name)), (uint32_t)i);
        for (size_t a = 0; a < g->nassets; a++)
            c->committed[i * g->nassets + a] = ac->balances[a];
    }
    memcpy(c->pending, c->committed, nb * sizeof *c->pending);
    /* The block signing key is public knowledge: devnode is a test node. */
    hash_sha256(secret, "bss-devnode/witness", strlen("bss-devnode/witness"));
    c->witness_key = sign_key_from_secret(sctx, secret, err);
    memset(secret, 0, sizeof secret);
    if (c->witness_key == NULL)
        goto fail;
    return c;
oom:
    err_set(err, "out of memory");
fail:
    chain_free(c);
    return NULL;
}

void chain_entry_free(struct chain_entry *en)
{
    if (en == NULL)
        return;
    free(en->wait_ref);
    free(en);
}

void chain_free(struct chain *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nqueue; i++)
        chain_entry_free(c->queue[i]);
    if (c->blocks != NULL) {
        for (size_t i = 0; i < c->opts.keep_blocks; i++) {
            struct chain_block *b = &c->blocks[i];
            for (uint32_t t = 0; t < b->ntx; t++)
                chain_entry_free(b->txs[t]);
            free(b->txs);
        }
    }
    free(c->blocks);
    free(c->queue);
    free(c->scratch);
    txmap_free(c->history);
    free(c->summary);
    free(c->by_id);
    free(c->by_name);
    free(c->committed);
    free(c->pending);
    sign_key_free(c->witness_key);
    genesis_clear(&c->g);
    free(c);
}

const struct genesis *chain_genesis(const struct chain *c)
{
    return &c->g;
}

const struct chain_opts *chain_options(const struct chain *c)
{
    return &c->opts;
}

const struct genesis_account *chain_account(const struct chain *c, size_t index)
{
    return index < c->g.naccounts ? &c->g.accounts[index] : NULL;
}

int64_t chain_balance(const struct chain *c, size_t account, size_t asset)
{
    return c->pending[account * c->g.nassets + asset];
}

uint32_t chain_head_num(const struct chain *c)
{
    return c->head_num;
}

const uint8_t *chain_head_id(const struct chain *c)
{
    return c->head_id;
}

uint32_t chain_head_time(const struct chain *c)
{
    return c->head_time;
}

uint32_t chain_witnesses(const struct chain *c)
{
    return c->opts.witnesses;
}

uint64_t chain_head_slot(const struct chain *c)
{
    return c->head_slot;
}

uint32_t chain_witness_last_block(const struct chain *c, uint32_t w)
{
    return w >= 1 && w <= c->opts.witnesses ? c->last_confirmed[w - 1] : 0;
}

void chain_get_dgp(const struct chain *c, struct chain_dgp *out)
{
    *out = c->dgp;
}

uint32_t chain_genesis_time(const struct chain *c)
{
    return c->genesis_time;
}

const uint8_t *chain_summary(const struct chain *c, uint16_t ref_block_num)
{
    return c->summary[ref_block_num];
}

bool chain_txid_known(const struct chain *c, const uint8_t txid[CHAIN_ID_LEN])
{
    return txmap_get(c->history, txid, NULL, NULL);
}

size_t chain_pending_count(const struct chain *c)
{
    return c->nqueue;
}

bool chain_pending_full(const struct chain *c)
{
    return c->opts.max_pending > 0 && c->nqueue >= c->opts.max_pending;
}

const struct chain_stats *chain_stats(const struct chain *c)
{
    return &c->stats;
}

/* The node's asset_object::amount_to_pretty_string: "12.00345 TEST". */
static void pretty(char *out, size_t cap, const struct genesis_asset *a, int64_t amount)
{
    int64_t scale = 1;
    int64_t whole, frac;
    int prec = a->precision > 12 ? 12 : a->precision;

    for (int i = 0; i < prec; i++)
        scale *= 10;
    whole = amount / scale;
    frac = amount % scale;
    if (frac < 0)
        frac = -frac;
    if (frac == 0)
        snprintf(out, cap, "%" PRId64 " %s", whole, a->symbol);
    else
        snprintf(out, cap, "%s%" PRId64 ".%0*" PRId64 " %s", amount < 0 && whole == 0 ? "-" : "",
                 whole, prec, frac, a->symbol);
}

void chain_undo_ops(struct chain *c, int64_t *bal, const struct chain_op *ops, size_t n)
{
    size_t na = c->g.nassets;

    while (n-- > 0) {
        const struct chain_op *op = &ops[n];
        bal[op->payer * na + op->fee_asset] += op->fee;
        bal[op->payer * na + op->asset] += op->amount;
        if (op->type == 0)
            bal[op->to * na + op->asset] -= op->amount;
    }
}

static int eval_one(struct chain *c, const int64_t *bal, const struct chain_op *op, uint32_t now,
                    struct fcerr *e)
{
    size_t na = c->g.nassets;
    const struct genesis_account *payer = &c->g.accounts[op->payer];
    const struct genesis_asset *fa = &c->g.assets[op->fee_asset];
    const struct genesis_asset *as = &c->g.assets[op->asset];
    int64_t have = bal[op->payer * na + op->asset];
    int64_t have_fee = bal[op->payer * na + op->fee_asset];
    char p1[128], p2[128];

    if (op->fee_asset != 0) {
        /* Fee pools and core exchange rates are not modelled. */
        fcerr_assert(e, FCERR_EVALUATE, "prepare_fee", FCERR_HERE,
                     "fee.asset_id == asset_id_type(): devnode accepts fees in the core "
                     "asset only",
                     "fee.asset_id == asset_id_type(): devnode accepts fees in the core "
                     "asset only");
        return -1;
    }
    if ((uint64_t)op->fee < op->required_fee) {
        fcerr_throw(e, FCERR_FEE, 4010007, "insufficient_fee", "insufficient fee", "evaluate",
                    FCERR_HERE, "Insufficient Fee Paid", "Insufficient Fee Paid");
        fcerr_data(e, "{\"core_fee_paid\":%" PRId64 ",\"required\":%" PRIu64 "}", op->fee,
                   op->required_fee);
        return -1;
    }
    if (op->type == 0) {
        const struct genesis_account *to = &c->g.accounts[op->to];
        if (have < op->amount) {
            char fmt[] = "d.get_balance( from_account, asset_type ).amount >= "
                         "op.amount.amount: Insufficient Balance: ${balance}, unable to "
                         "transfer '${total_transfer}' from account '${a}' to '${t}'";
            pretty(p1, sizeof p1, as, have);
            pretty(p2, sizeof p2, as, op->amount);
            fcerr_assert(e, FCERR_BALANCE, "do_evaluate", FCERR_HERE, fmt,
                         "d.get_balance( from_account, asset_type ).amount >= "
                         "op.amount.amount: Insufficient Balance: %s, unable to transfer '%s' "
                         "from account '%s' to '%s'",
                         p1, p2, payer->name, to->name);
            fcerr_data(e,
                       "{\"a\":\"%s\",\"t\":\"%s\",\"total_transfer\":\"%s\",\"balance\":\"%s\"}",
                       payer->name, to->name, p2, p1);
            return -1;
        }
    } else {
        if (op->expiration < now) {
            fcerr_assert(e, FCERR_EVALUATE, "do_evaluate", FCERR_HERE,
                         "op.expiration >= d.head_block_time(): ",
                         "op.expiration >= d.head_block_time(): ");
            return -1;
        }
        if (have < op->amount) {
            pretty(p1, sizeof p1, as, have);
            pretty(p2, sizeof p2, as, op->amount);
            fcerr_assert(e, FCERR_BALANCE, "do_evaluate", FCERR_HERE,
                         "d.get_balance( *_seller, *_sell_asset ) >= op.amount_to_sell: "
                         "insufficient balance",
                         "d.get_balance( *_seller, *_sell_asset ) >= op.amount_to_sell: "
                         "insufficient balance");
            fcerr_data(e, "{\"balance\":\"%s\",\"amount_to_sell\":\"%s\"}", p1, p2);
            return -1;
        }
    }
    /* The fee leaves the balance after the operation (evaluator::apply). */
    if (op->fee_asset == op->asset)
        have_fee -= op->amount;
    if (have_fee < op->fee) {
        pretty(p1, sizeof p1, fa, have_fee);
        pretty(p2, sizeof p2, fa, op->fee);
        fcerr_assert(e, FCERR_BALANCE, "adjust_balance", FCERR_HERE,
                     "itr->get_balance() >= -delta: Insufficient Balance: ${a}'s balance of "
                     "${b} is less than required ${r}",
                     "itr->get_balance() >= -delta: Insufficient Balance: %s's balance of %s is "
                     "less than required %s",
                     payer->name, p1, p2);
        fcerr_data(e, "{\"a\":\"%s\",\"b\":\"%s\",\"r\":\"%s\"}", payer->name, p1, p2);
        return -1;
    }
    return 0;
}

int chain_eval_ops(struct chain *c, int64_t *bal, const struct chain_op *ops, size_t nops,
                   uint32_t now, bool apply, struct fcerr *e)
{
    size_t na = c->g.nassets;

    for (size_t i = 0; i < nops; i++) {
        const struct chain_op *op = &ops[i];
        if (eval_one(c, bal, op, now, e) < 0) {
            chain_undo_ops(c, bal, ops, i);
            return -1;
        }
        bal[op->payer * na + op->asset] -= op->amount;
        if (op->type == 0)
            bal[op->to * na + op->asset] += op->amount;
        bal[op->payer * na + op->fee_asset] -= op->fee;
    }
    if (!apply)
        chain_undo_ops(c, bal, ops, nops);
    return 0;
}

int chain_evaluate(struct chain *c, const struct chain_op *ops, size_t nops, bool apply,
                   struct fcerr *e)
{
    return chain_eval_ops(c, c->pending, ops, nops, c->head_time, apply, e);
}

void chain_unevaluate(struct chain *c, const struct chain_op *ops, size_t nops)
{
    chain_undo_ops(c, c->pending, ops, nops);
}

bool chain_entry_current(const struct chain *c, const struct chain_entry *en)
{
    uint32_t now = c->head_time;
    uint32_t prefix;

    if (c->head_num > 0) {
        const uint8_t *id = c->summary[en->ref_block_num];
        prefix = (uint32_t)id[4] | (uint32_t)id[5] << 8 | (uint32_t)id[6] << 16 |
                 (uint32_t)id[7] << 24;
        if (prefix != en->ref_block_prefix)
            return false;
        if ((uint64_t)en->expiration > (uint64_t)now + c->g.params.max_time_until_expiration ||
            now > en->expiration)
            return false;
    }
    return true;
}

struct chain_entry *chain_push(struct chain *c, const struct chain_op *ops, size_t nops,
                               const uint8_t *packed, size_t signed_len, size_t unsigned_len,
                               const uint8_t txid[CHAIN_ID_LEN], uint32_t expiration,
                               uint16_t ref_block_num, uint32_t ref_block_prefix)
{
    struct chain_entry *en;
    size_t opsz = nops * sizeof(struct chain_op);

    if (c->nqueue == c->queue_cap) {
        size_t cap = c->queue_cap ? c->queue_cap * 2 : 1024;
        struct chain_entry **q = realloc(c->queue, cap * sizeof *q);
        struct chain_entry **s;
        if (q == NULL)
            return NULL;
        c->queue = q;
        s = realloc(c->scratch, cap * sizeof *s);
        if (s == NULL)
            return NULL;
        c->scratch = s;
        c->queue_cap = cap;
    }
    en = calloc(1, sizeof *en + opsz + signed_len);
    if (en == NULL)
        return NULL;
    if (txmap_put(c->history, txid, expiration, 0, 0) < 0) {
        free(en);
        return NULL;
    }
    memcpy(en->txid, txid, CHAIN_ID_LEN);
    en->expiration = expiration;
    en->ref_block_num = ref_block_num;
    en->ref_block_prefix = ref_block_prefix;
    en->signed_len = (uint32_t)signed_len;
    en->unsigned_len = (uint32_t)unsigned_len;
    en->nops = (uint32_t)nops;
    en->ops = (struct chain_op *)(en + 1);
    en->packed = (uint8_t *)(en + 1) + opsz;
    memcpy(en->ops, ops, opsz);
    memcpy(en->packed, packed, signed_len);
    c->queue[c->nqueue++] = en;
    return en;
}
