/* render.c - see render.h. Field order follows the node's FC_REFLECT
 * declarations so that replies diff cleanly against a real node's. */
#include "render.h"

#include <inttypes.h>
#include <string.h>

#include "err.h"
#include "pubkey.h"
#include "timefmt.h"
#include "txjson.h"

void render_i64(struct sbuf *s, int64_t v)
{
    if (v > INT32_MAX || v < INT32_MIN)
        sbuf_addf(s, "\"%" PRId64 "\"", v);
    else
        sbuf_add_i64(s, v);
}

void render_u64(struct sbuf *s, uint64_t v)
{
    if (v > UINT32_MAX)
        sbuf_addf(s, "\"%" PRIu64 "\"", v);
    else
        sbuf_add_u64(s, v);
}

void render_time(struct sbuf *s, uint32_t t)
{
    char buf[TIMEFMT_LEN];

    timefmt_format(buf, t);
    sbuf_addc(s, '"');
    sbuf_adds(s, buf);
    sbuf_addc(s, '"');
}

void render_id(struct sbuf *s, unsigned space, unsigned type, uint64_t instance)
{
    sbuf_addf(s, "\"%u.%u.%" PRIu64 "\"", space, type, instance);
}

static void render_hex(struct sbuf *s, const uint8_t *p, size_t n)
{
    sbuf_addc(s, '"');
    sbuf_add_hex(s, p, n);
    sbuf_addc(s, '"');
}

static void render_key(struct sbuf *s, const char *prefix, const uint8_t key[PUBKEY_LEN])
{
    char buf[PUBKEY_STR_MAX];

    if (pubkey_to_string(buf, sizeof buf, prefix, key, NULL) < 0)
        buf[0] = '\0';
    sbuf_addc(s, '"');
    sbuf_adds(s, buf);
    sbuf_addc(s, '"');
}

/* A uint128 (hi, lo) in decimal, as fc renders recent_slots_filled. */
static void render_u128(struct sbuf *s, uint64_t hi, uint64_t lo)
{
    char digits[40];
    size_t n = 0;

    do { /* divide (hi, lo) by 10 in 32-bit steps */
        uint64_t parts[4] = {hi >> 32, hi & 0xFFFFFFFFu, lo >> 32, lo & 0xFFFFFFFFu}, rem = 0;
        for (int i = 0; i < 4; i++) {
            uint64_t cur = (rem << 32) | parts[i];
            parts[i] = cur / 10;
            rem = cur % 10;
        }
        digits[n++] = (char)('0' + rem);
        hi = (parts[0] << 32) | parts[1];
        lo = (parts[2] << 32) | parts[3];
    } while (hi != 0 || lo != 0);
    sbuf_addc(s, '"');
    while (n > 0)
        sbuf_addc(s, digits[--n]);
    sbuf_addc(s, '"');
}

void render_dgp(struct sbuf *s, const struct chain *c, uint64_t missed)
{
    uint32_t head = chain_head_num(c), t = chain_head_time(c), g = chain_genesis_time(c);
    struct chain_dgp d;

    chain_get_dgp(c, &d);
    sbuf_adds(s, "{\"id\":\"2.1.0\",\"head_block_number\":");
    sbuf_add_u64(s, head);
    sbuf_adds(s, ",\"head_block_id\":");
    render_hex(s, chain_head_id(c), CHAIN_ID_LEN);
    sbuf_adds(s, ",\"time\":");
    render_time(s, t);
    sbuf_adds(s, ",\"current_witness\":");
    render_id(s, 1, 6, d.current_witness);
    sbuf_adds(s, ",\"next_maintenance_time\":");
    render_time(s, (t / 86400 + 1) * 86400);
    sbuf_adds(s, ",\"last_vote_tally_time\":");
    render_time(s, g);
    sbuf_adds(s, ",\"last_budget_time\":");
    render_time(s, g);
    /* The witness figures as graphene keeps them (chainblock.c). With one
     * witness nothing is missed and the head is irreversible at once; a
     * follower of a one-producer network adds the blocks it could not
     * link (missed). */
    sbuf_adds(s, ",\"witness_budget\":0,\"total_pob\":0,\"total_inactive\":0,"
                 "\"accounts_registered_this_interval\":0,\"recently_missed_count\":");
    sbuf_add_u64(s, d.recently_missed + missed);
    sbuf_adds(s, ",\"current_aslot\":");
    sbuf_add_u64(s, d.current_aslot);
    sbuf_adds(s, ",\"recent_slots_filled\":");
    render_u128(s, d.filled_hi, d.filled_lo);
    sbuf_adds(s, ",\"dynamic_flags\":0,\"last_irreversible_block_num\":");
    sbuf_add_u64(s, d.lib);
    sbuf_addc(s, '}');
}

void render_gp(struct sbuf *s, const struct chain *c)
{
    const struct genesis_params *p = &chain_genesis(c)->params;
    uint32_t bi = (p->block_interval_ms + 999) / 1000;

    sbuf_adds(s, "{\"id\":\"2.0.0\",\"parameters\":{\"current_fees\":{\"parameters\":[[0,{\"fee\":");
    render_u64(s, p->fee_transfer);
    sbuf_adds(s, ",\"price_per_kbyte\":");
    render_u64(s, p->fee_transfer_per_kbyte);
    sbuf_adds(s, "}],[1,{\"fee\":");
    render_u64(s, p->fee_limit_order);
    sbuf_adds(s, "}]],\"scale\":");
    sbuf_add_u64(s, p->fee_scale);
    sbuf_adds(s, "},\"block_interval\":");
    sbuf_add_u64(s, bi);
    sbuf_adds(s, ",\"maintenance_interval\":86400,\"maintenance_skip_slots\":3,"
                 "\"committee_proposal_review_period\":1209600,\"maximum_transaction_size\":");
    sbuf_add_u64(s, p->max_tx_size);
    sbuf_adds(s, ",\"maximum_block_size\":");
    sbuf_add_u64(s, p->max_block_size);
    sbuf_adds(s, ",\"maximum_time_until_expiration\":");
    sbuf_add_u64(s, p->max_time_until_expiration);
    /* The rest are bitshares-core's defaults; devnode does not use them. */
    sbuf_adds(s, ",\"maximum_proposal_lifetime\":2419200,"
                 "\"maximum_asset_whitelist_authorities\":10,\"maximum_asset_feed_publishers\":10,"
                 "\"maximum_witness_count\":1001,\"maximum_committee_count\":1001,"
                 "\"maximum_authority_membership\":10,\"reserve_percent_of_fee\":2000,"
                 "\"network_percent_of_fee\":2000,\"lifetime_referrer_percent_of_fee\":3000,"
                 "\"cashback_vesting_period_seconds\":31536000,"
                 "\"cashback_vesting_threshold\":10000000,\"count_non_member_votes\":true,"
                 "\"allow_non_member_whitelists\":false,\"witness_pay_per_block\":1000000,"
                 "\"worker_budget_per_day\":\"50000000000\",\"max_predicate_opcode\":1,"
                 "\"fee_liquidation_threshold\":10000000,\"accounts_per_fee_scale\":1000,"
                 "\"account_fee_scale_bitshifts\":4,\"max_authority_depth\":2,\"extensions\":{}},"
                 "\"next_available_vote_id\":0,\"active_committee_members\":[],"
                 "\"active_witnesses\":[");
    for (uint32_t w = 1; w <= chain_witnesses(c); w++) {
        if (w > 1)
            sbuf_addc(s, ',');
        render_id(s, 1, 6, w);
    }
    sbuf_adds(s, "]}");
}

static void render_authority(struct sbuf *s, const char *prefix, const uint8_t key[PUBKEY_LEN])
{
    sbuf_adds(s, "{\"weight_threshold\":1,\"account_auths\":[],\"key_auths\":[[");
    render_key(s, prefix, key);
    sbuf_adds(s, ",1]],\"address_auths\":[]}");
}

void render_account(struct sbuf *s, const struct chain *c, size_t index)
{
    const struct genesis *g = chain_genesis(c);
    const struct genesis_account *a = chain_account(c, index);

    sbuf_adds(s, "{\"id\":");
    render_id(s, 1, 2, a->id);
    sbuf_adds(s, ",\"membership_expiration_date\":\"1970-01-01T00:00:00\",\"registrar\":");
    render_id(s, 1, 2, a->id);
    sbuf_adds(s, ",\"referrer\":");
    render_id(s, 1, 2, a->id);
    sbuf_adds(s, ",\"lifetime_referrer\":");
    render_id(s, 1, 2, a->id);
    sbuf_adds(s, ",\"network_fee_percentage\":2000,\"lifetime_referrer_fee_percentage\":3000,"
                 "\"referrer_rewards_percentage\":0,\"name\":");
    sbuf_add_json_str(s, a->name, strlen(a->name));
    sbuf_adds(s, ",\"owner\":");
    render_authority(s, g->prefix, a->owner);
    sbuf_adds(s, ",\"active\":");
    render_authority(s, g->prefix, a->active);
    sbuf_adds(s, ",\"options\":{\"memo_key\":");
    render_key(s, g->prefix, a->memo);
    sbuf_adds(s, ",\"voting_account\":\"1.2.5\",\"num_witness\":0,\"num_committee\":0,"
                 "\"votes\":[],\"extensions\":[]},\"num_committee_voted\":0,\"statistics\":");
    render_id(s, 2, 6, a->id);
    sbuf_adds(s, ",\"whitelisting_accounts\":[],\"blacklisting_accounts\":[],"
                 "\"whitelisted_accounts\":[],\"blacklisted_accounts\":[],"
                 "\"owner_special_authority\":[0,{}],\"active_special_authority\":[0,{}],"
                 "\"top_n_control_flags\":0,\"creation_block_num\":0,\"creation_time\":");
    render_time(s, chain_genesis_time(c));
    sbuf_addc(s, '}');
}

void render_asset(struct sbuf *s, const struct chain *c, size_t index)
{
    const struct genesis_asset *a = &chain_genesis(c)->assets[index];

    sbuf_adds(s, "{\"id\":");
    render_id(s, 1, 3, a->id);
    sbuf_adds(s, ",\"symbol\":");
    sbuf_add_json_str(s, a->symbol, strlen(a->symbol));
    sbuf_adds(s, ",\"precision\":");
    sbuf_add_u64(s, a->precision);
    sbuf_adds(s, ",\"issuer\":\"1.2.3\",\"options\":{\"max_supply\":");
    render_i64(s, a->max_supply);
    sbuf_adds(s, ",\"market_fee_percent\":0,\"max_market_fee\":");
    render_i64(s, a->max_supply);
    sbuf_adds(s, ",\"issuer_permissions\":0,\"flags\":0,\"core_exchange_rate\":{\"base\":"
                 "{\"amount\":1,\"asset_id\":\"1.3.0\"},\"quote\":{\"amount\":1,\"asset_id\":");
    render_id(s, 1, 3, a->id);
    sbuf_adds(s, "}},\"whitelist_authorities\":[],\"blacklist_authorities\":[],"
                 "\"whitelist_markets\":[],\"blacklist_markets\":[],\"description\":\"\","
                 "\"extensions\":{}},\"dynamic_asset_data_id\":");
    render_id(s, 2, 3, a->id);
    sbuf_addc(s, '}');
}

static void header_fields(struct sbuf *s, const struct chain_block *b)
{
    sbuf_adds(s, "{\"previous\":");
    render_hex(s, b->previous, CHAIN_ID_LEN);
    sbuf_adds(s, ",\"timestamp\":");
    render_time(s, b->timestamp);
    sbuf_adds(s, ",\"witness\":");
    render_id(s, 1, 6, b->witness);
    sbuf_adds(s, ",\"transaction_merkle_root\":");
    render_hex(s, b->merkle, CHAIN_ID_LEN);
    sbuf_adds(s, ",\"extensions\":[]");
}

void render_block_header(struct sbuf *s, const struct chain_block *b)
{
    header_fields(s, b);
    sbuf_addc(s, '}');
}

int render_signed_tx(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                     struct tx *tx)
{
    if (tx_unpack(tx, en->packed, en->signed_len, true, NULL) < 0)
        return -1; /* cannot happen: the bytes were packed by tx_pack */
    txjson_render(s, tx, true, chain_genesis(c)->prefix);
    return 0;
}

void render_processed_tx(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                         struct tx *tx)
{
    uint64_t order = en->first_order_id;

    if (tx_unpack(tx, en->packed, en->signed_len, true, NULL) < 0) {
        /* Cannot happen: the bytes were packed by tx_pack. */
        sbuf_adds(s, "null");
        return;
    }
    txjson_render(s, tx, true, chain_genesis(c)->prefix);
    /* Reopen the transaction object to append the results, which the node
     * prints last (processed_transaction extends signed_transaction). */
    if (s->overflow || s->len == 0 || s->buf[s->len - 1] != '}')
        return;
    s->len--;
    sbuf_adds(s, ",\"operation_results\":[");
    for (uint32_t i = 0; i < en->nops; i++) {
        if (i > 0)
            sbuf_addc(s, ',');
        if (en->ops[i].type == 1) {
            sbuf_adds(s, "[1,");
            render_id(s, 1, 7, order++);
            sbuf_addc(s, ']');
        } else {
            sbuf_adds(s, "[0,{}]");
        }
    }
    sbuf_adds(s, "]}");
}

void render_block(struct sbuf *s, const struct chain *c, const struct chain_block *b,
                  struct tx *tx)
{
    header_fields(s, b);
    sbuf_adds(s, ",\"witness_signature\":");
    render_hex(s, b->sig, sizeof b->sig);
    sbuf_adds(s, ",\"transactions\":[");
    for (uint32_t i = 0; i < b->ntx; i++) {
        if (i > 0)
            sbuf_addc(s, ',');
        render_processed_tx(s, c, b->txs[i], tx);
    }
    sbuf_adds(s, "]}");
}

void render_inclusion(struct sbuf *s, const struct chain *c, const struct chain_entry *en,
                      struct tx *tx)
{
    sbuf_adds(s, "{\"id\":");
    render_hex(s, en->txid, CHAIN_ID_LEN);
    sbuf_adds(s, ",\"block_num\":");
    sbuf_add_u64(s, en->block_num);
    sbuf_adds(s, ",\"trx_num\":");
    sbuf_add_u64(s, en->trx_num);
    sbuf_adds(s, ",\"trx\":");
    render_processed_tx(s, c, en, tx);
    sbuf_addc(s, '}');
}
