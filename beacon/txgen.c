/* txgen.c - see txgen.h. */
#include "txgen.h"

#include "err.h"

#define TXGEN_LOW_BITS 16
#define TXGEN_LOW_MASK ((UINT64_C(1) << TXGEN_LOW_BITS) - 1)

/* splitmix64: a tiny, well-distributed mixer; we only need the op-kind
 * choice to be stable and unbiased, not unpredictable. */
static uint64_t txgen_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

void txgen_defaults(struct txgen_config *cfg)
{
    *cfg = (struct txgen_config){
        .weight_transfer = 70,
        .weight_limit_order = 30,
        .ops_per_tx = 1,
        .seed = 1,
        .transfer_fee = {100000, 0},
        .transfer_amount = 1,
        .transfer_asset = 0,
        .order_fee = {50000, 0},
        .sell_amount = 100000,
        .sell_asset = 0,
        .receive_amount = 1,
        .receive_asset = 1,
        .order_expiration = TX_EXPIRATION_NEVER,
    };
}

int txgen_check(const struct txgen_config *cfg, char *err)
{
    /* k stays below 2^40 (a trillion transactions); keep base + k + ops in int64. */
    const int64_t headroom = INT64_MAX - ((int64_t)1 << 41);

    if (cfg->ops_per_tx < 1)
        return err_set(err, "ops per transaction must be at least 1");
    if (cfg->weight_transfer + cfg->weight_limit_order == 0)
        return err_set(err, "operation mix has no weight: give transfer or limit_order a share");
    if (cfg->weight_transfer > 0) {
        if (cfg->from == cfg->to)
            return err_set(err, "transfer from and to are the same account 1.2.%llu",
                           (unsigned long long)cfg->from);
        if (cfg->transfer_amount <= 0 || cfg->transfer_amount > headroom)
            return err_set(err, "transfer amount must be > 0 and < 2^62");
    }
    if (cfg->weight_limit_order > 0) {
        if (cfg->sell_asset == cfg->receive_asset)
            return err_set(err, "limit order sells and receives the same asset 1.3.%llu",
                           (unsigned long long)cfg->sell_asset);
        if (cfg->sell_amount <= 0 || cfg->sell_amount > headroom || cfg->receive_amount <= 0 ||
            cfg->receive_amount > headroom)
            return err_set(err, "limit order amounts must be > 0 and < 2^62");
    }
    if (cfg->transfer_fee.amount < 0 || cfg->order_fee.amount < 0 ||
        cfg->transfer_fee.amount > headroom || cfg->order_fee.amount > headroom)
        return err_set(err, "fees must be >= 0 and < 2^62");
    if (cfg->k_offset >= ((uint64_t)1 << 40))
        return err_set(err, "index offset must be below 2^40");
    return 0;
}

int txgen_build(const struct txgen_config *cfg, uint64_t k, struct tx *tx, char *err)
{
    const uint64_t total = (uint64_t)cfg->weight_transfer + cfg->weight_limit_order;
    const uint64_t u = cfg->k_offset + k;
    const int64_t low = (int64_t)(u & TXGEN_LOW_MASK), high = (int64_t)(u >> TXGEN_LOW_BITS);

    tx_reset(tx);
    tx_set_tapos(tx, cfg->ref_block_id);
    tx->expiration = cfg->expiration;
    for (unsigned j = 0; j < cfg->ops_per_tx; j++) {
        struct tx_op *op = tx_add_op(tx, err);
        uint64_t r = txgen_mix(cfg->seed ^ txgen_mix(k * 4099 + j));
        /* Operation j > 0 adds j so that a transaction's ops differ too. */
        int64_t delta = j == 0 ? low : (int64_t)j, delta2 = j == 0 ? high : 0;

        if (op == NULL)
            return -1;
        if (r % total < cfg->weight_transfer) {
            op->type = TX_OP_TRANSFER;
            op->u.transfer.fee = cfg->transfer_fee;
            op->u.transfer.fee.amount += delta2;
            op->u.transfer.from = cfg->from;
            op->u.transfer.to = cfg->to;
            op->u.transfer.amount.amount = cfg->transfer_amount + delta;
            op->u.transfer.amount.asset_id = cfg->transfer_asset;
        } else {
            op->type = TX_OP_LIMIT_ORDER_CREATE;
            op->u.limit_order.fee = cfg->order_fee;
            op->u.limit_order.seller = cfg->from;
            op->u.limit_order.amount_to_sell.amount = cfg->sell_amount + delta;
            op->u.limit_order.amount_to_sell.asset_id = cfg->sell_asset;
            op->u.limit_order.min_to_receive.amount = cfg->receive_amount + delta2;
            op->u.limit_order.min_to_receive.asset_id = cfg->receive_asset;
            op->u.limit_order.expiration = cfg->order_expiration;
        }
    }
    return 0;
}
