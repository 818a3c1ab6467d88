/* proto.c - see proto.h; the wire format is described in PROTOCOL.md.
 * This file holds the field tables (proto_impl.h) and the encoder;
 * proto_dec.c the decoder. */
#include "proto.h"

#include <inttypes.h>
#include <msgpack.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "hist.h"
#include "proto_impl.h"

#define F(key, kind, type, member) {key, kind, offsetof(type, member), sizeof(((type *)0)->member)}
#define NF(a) (sizeof(a) / sizeof((a)[0]))

static const struct proto_field hello_f[] = {
    F("beacon_id", K_STR, struct proto_hello, beacon_id),
    F("version", K_STR, struct proto_hello, version),
    F("host", K_STR, struct proto_hello, host),
    F("cores", K_U32, struct proto_hello, cores),
    F("acked_seq", K_U64, struct proto_hello, acked_seq),
};
static const struct proto_field welcome_f[] = {
    F("run_id", K_STR, struct proto_welcome, run_id),
    F("version", K_STR, struct proto_welcome, version),
    F("heartbeat_ms", K_U32, struct proto_welcome, heartbeat_ms),
    F("lease_ms", K_U32, struct proto_welcome, lease_ms),
};
static const struct proto_field configure_f[] = {
    F("phase", K_U32, struct proto_configure, phase),
    F("phase_name", K_STR, struct proto_configure, phase_name),
    F("conns_per_node", K_U32, struct proto_configure, conns_per_node),
    F("follow_all", K_BOOL, struct proto_configure, follow_all),
    F("tls_insecure", K_BOOL, struct proto_configure, tls_insecure),
    F("share_index", K_U32, struct proto_configure, share_index),
    F("share_count", K_U32, struct proto_configure, share_count),
    F("weight_transfer", K_U32, struct proto_configure, weight_transfer),
    F("weight_limit_order", K_U32, struct proto_configure, weight_limit_order),
    F("ops_per_tx", K_U32, struct proto_configure, ops_per_tx),
    F("seed", K_U64, struct proto_configure, seed),
    F("k_offset", K_U64, struct proto_configure, k_offset),
    F("window", K_U32, struct proto_configure, window),
    F("threads", K_U32, struct proto_configure, threads),
    F("presign_ahead_s", K_F64, struct proto_configure, presign_ahead_s),
    F("expire_s", K_U32, struct proto_configure, expire_s),
    F("late_ns", K_U64, struct proto_configure, late_ns),
    F("drop_horizon_ns", K_U64, struct proto_configure, drop_horizon_ns),
    F("ack_timeout_ns", K_U64, struct proto_configure, ack_timeout_ns),
    F("drain_ns", K_U64, struct proto_configure, drain_ns),
};
static const struct proto_field curve_f[] = {
    F("unlimited", K_BOOL, struct ratectl_curve, unlimited),
    F("unlimited_ns", K_U64, struct ratectl_curve, unlimited_ns),
};
static const struct proto_field prepare_f[] = {
    F("phase", K_U32, struct proto_prepare, phase),
    F("items", K_U64, struct proto_prepare, items),
};
static const struct proto_field ready_f[] = {
    F("phase", K_U32, struct proto_ready, phase),
    F("ok", K_BOOL, struct proto_ready, ok),
    F("error", K_STR, struct proto_ready, error),
    F("pool_level", K_U64, struct proto_ready, pool_level),
};
static const struct proto_field chain_f[] = {
    F("chain_id", K_STR, struct proto_chain, chain_id),
    F("max_tx_size", K_U32, struct proto_chain, max_tx_size),
    F("max_block_size", K_U32, struct proto_chain, max_block_size),
    F("block_interval", K_U32, struct proto_chain, block_interval),
    F("max_expiration", K_U32, struct proto_chain, max_expiration),
    F("transfer_fee", K_I64, struct proto_chain, transfer_fee),
    F("order_fee", K_I64, struct proto_chain, order_fee),
    F("tx_size", K_U32, struct proto_chain, tx_size),
};
static const struct proto_field start_f[] = {
    F("phase", K_U32, struct proto_start, phase),
    F("start_in_ns", K_U64, struct proto_start, start_in_ns),
};
static const struct proto_field stop_f[] = {
    F("phase", K_U32, struct proto_stop, phase),
    F("abort", K_BOOL, struct proto_stop, abort),
};
static const struct proto_field stats_f[] = {
    F("phase", K_U32, struct proto_stats, phase),
    F("second", K_U32, struct proto_stats, second),
    F("verdict", K_U32, struct proto_stats, verdict),
    F("reason", K_STR, struct proto_stats, reason),
};
static const struct proto_field ack_f[] = {
    F("seq", K_U64, struct proto_stats_ack, seq),
};
static const struct proto_field event_f[] = {
    F("phase", K_U32, struct proto_event, phase),
    F("text", K_STR, struct proto_event, text),
};
static const struct proto_field done_f[] = {
    F("phase", K_U32, struct proto_done, phase),
    F("verdict", K_U32, struct proto_done, verdict),
    F("reason", K_STR, struct proto_done, reason),
    F("sign_cpu_ns", K_U64, struct proto_done, sign_cpu_ns),
    F("signed_count", K_U64, struct proto_done, signed_count),
    F("send_cpu_ns", K_U64, struct proto_done, send_cpu_ns),
    F("sent_count", K_U64, struct proto_done, sent_count),
};
static const struct proto_field heartbeat_f[] = {
    F("t_ns", K_U64, struct proto_heartbeat, t_ns),
    F("echo_ns", K_U64, struct proto_heartbeat, echo_ns),
    F("echo_delay_ns", K_U64, struct proto_heartbeat, echo_delay_ns),
    F("state", K_U32, struct proto_heartbeat, state),
    F("cpu_pct", K_F64, struct proto_heartbeat, cpu_pct),
};
static const struct proto_field text_f[] = {
    F("text", K_STR, struct proto_text, text),
};
static const struct proto_field interval_f[] = {
    F("seq", K_U64, struct stats_interval, seq),
    F("t0_ns", K_U64, struct stats_interval, t0_ns),
    F("t1_ns", K_U64, struct stats_interval, t1_ns),
    F("wall_ms", K_U64, struct stats_interval, wall_ms),
};
/* Counter and gauge keys are the ones of stats_render_json where it has them. */
static const struct proto_field counters_f[] = {
    F("offered", K_U64, struct stats_counters, offered),
    F("sent", K_U64, struct stats_counters, sent),
    F("sent_ops", K_U64, struct stats_counters, sent_ops),
    F("accepted", K_U64, struct stats_counters, accepted),
    F("accepted_ops", K_U64, struct stats_counters, accepted_ops),
    F("timeouts", K_U64, struct stats_counters, timeouts),
    F("conn_errors", K_U64, struct stats_counters, conn_errors),
    F("late", K_U64, struct stats_counters, late),
    F("dropped", K_U64, struct stats_counters, dropped),
    F("pool_empty", K_U64, struct stats_counters, pool_empty),
    F("confirmed", K_U64, struct stats_counters, confirmed),
    F("confirmed_ops", K_U64, struct stats_counters, confirmed_ops),
    F("lost", K_U64, struct stats_counters, lost),
    F("blocks", K_U64, struct stats_counters, blocks),
    F("block_txs", K_U64, struct stats_counters, block_txs),
    F("block_bytes", K_U64, struct stats_counters, block_bytes),
};
/* Since 1.2 (optional when decoding: a 1.1 beacon's counters decode as 0). */
static const struct proto_field counters12_f[] = {
    F("held", K_U64, struct stats_counters, held),
    F("held_dropped", K_U64, struct stats_counters, held_dropped),
    F("stale", K_U64, struct stats_counters, stale),
    F("late_replies", K_U64, struct stats_counters, late_replies),
    F("unknown_replies", K_U64, struct stats_counters, unknown_replies),
};
static const struct proto_field gauges_f[] = {
    F("head_block", K_U64, struct stats_gauges, head_block),
    F("irreversible_block", K_U64, struct stats_gauges, irreversible_block),
    F("pool", K_U64, struct stats_gauges, pool_level),
    F("in_flight", K_U64, struct stats_gauges, in_flight),
    F("unconfirmed", K_U64, struct stats_gauges, unconfirmed),
    F("target_rate", K_F64, struct stats_gauges, target_rate),
    F("cpu", K_F64, struct stats_gauges, cpu_proc_pct),
    F("cpu_all", K_F64, struct stats_gauges, cpu_proc_all_pct),
    F("cpu_host", K_F64, struct stats_gauges, cpu_host_pct),
    F("rss_bytes", K_U64, struct stats_gauges, rss_bytes),
    F("cores", K_U32, struct stats_gauges, cores),
};
static const struct proto_field gauges12_f[] = {
    F("pending", K_U64, struct stats_gauges, pending),
    F("held_pending", K_U64, struct stats_gauges, held_pending),
    F("conns_ready", K_U64, struct stats_gauges, conns_ready),
};
static const struct proto_field node_f[] = {
    F("sent", K_U64, struct stats_node, sent),
    F("accepted", K_U64, struct stats_node, accepted),
    F("rejected", K_U64, struct stats_node, rejected),
    F("timeouts", K_U64, struct stats_node, timeouts),
    F("conn_errors", K_U64, struct stats_node, conn_errors),
    F("confirmed", K_U64, struct stats_node, confirmed),
    F("ack_sum_ns", K_U64, struct stats_node, ack_sum_ns),
    F("ack_max_ns", K_U64, struct stats_node, ack_max_ns),
};
static const struct proto_field node12_f[] = {
    F("ack_sum_hi", K_U64, struct stats_node, ack_sum_hi),
};
/* Since 1.3 (optional when decoding: a 1.2 beacon's nodes have no
 * telemetry, tel_answers 0). */
static const struct proto_field node13_f[] = {
    F("tel_answers", K_U64, struct stats_node, tel_answers),
    F("head_block", K_U64, struct stats_node, head_block),
    F("lib_block", K_U64, struct stats_node, lib_block),
    F("participation_pct", K_F64, struct stats_node, participation_pct),
    F("missed_blocks", K_U64, struct stats_node, missed_blocks),
    F("block_interval_s", K_F64, struct stats_node, block_interval_s),
    F("tel_blocks", K_U64, struct stats_node, tel_blocks),
    F("tel_block_txs", K_U64, struct stats_node, tel_block_txs),
    F("tel_block_bytes", K_U64, struct stats_node, tel_block_bytes),
    F("max_block_size", K_U64, struct stats_node, max_block_size),
    F("forked", K_U64, struct stats_node, forked),
    F("stalled", K_U64, struct stats_node, stalled),
};
static const struct proto_field head_f[] = {
    F("min", K_U64, struct hist_head, min),
    F("max", K_U64, struct hist_head, max),
    F("sum_lo", K_U64, struct hist_head, sum_lo),
    F("sum_hi", K_U64, struct hist_head, sum_hi),
    F("clamped", K_U64, struct hist_head, clamped),
};

#define FS(a) {a, NF(a)}

const struct proto_fieldset proto_fs_curve = FS(curve_f);
const struct proto_fieldset proto_fs_chain = FS(chain_f);
const struct proto_fieldset proto_fs_interval = FS(interval_f);
const struct proto_fieldset proto_fs_counters = FS(counters_f);
const struct proto_fieldset proto_fs_gauges = FS(gauges_f);
const struct proto_fieldset proto_fs_head = FS(head_f);
const struct proto_fieldset proto_fs_node = FS(node_f);
const struct proto_fieldset proto_fs_counters12 = FS(counters12_f);
const struct proto_fieldset proto_fs_gauges12 = FS(gauges12_f);
const struct proto_fieldset proto_fs_node12 = FS(node12_f);
const struct proto_fieldset proto_fs_node13 = FS(node13_f);

const struct proto_typedesc proto_types[PROTO_ERROR + 1] = {
    [PROTO_HELLO] = {"hello", FS(hello_f), 1, sizeof(struct proto_hello)},
    [PROTO_WELCOME] = {"welcome", FS(welcome_f), 0, sizeof(struct proto_welcome)},
    [PROTO_CONFIGURE] = {"configure", FS(configure_f), 4, sizeof(struct proto_configure)},
    [PROTO_PREPARE] = {"prepare", FS(prepare_f), 0, sizeof(struct proto_prepare)},
    [PROTO_READY] = {"ready", FS(ready_f), 1, sizeof(struct proto_ready)},
    [PROTO_START] = {"start", FS(start_f), 0, sizeof(struct proto_start)},
    [PROTO_STOP] = {"stop", FS(stop_f), 0, sizeof(struct proto_stop)},
    [PROTO_STATS] = {"stats", FS(stats_f), 1, sizeof(struct proto_stats)},
    [PROTO_STATS_ACK] = {"stats_ack", FS(ack_f), 0, sizeof(struct proto_stats_ack)},
    [PROTO_EVENT] = {"event", FS(event_f), 1, sizeof(struct proto_event)},
    [PROTO_DONE] = {"done", FS(done_f), 1, sizeof(struct proto_done)},
    [PROTO_HEARTBEAT] = {"heartbeat", FS(heartbeat_f), 0, sizeof(struct proto_heartbeat)},
    [PROTO_BYE] = {"bye", FS(text_f), 0, sizeof(struct proto_text)},
    [PROTO_ERROR] = {"error", FS(text_f), 0, sizeof(struct proto_text)},
};

const char *const proto_spread_names[3] = {"round_robin", "single", "weights"};
const char *const proto_level_names[3] = {"info", "warn", "error"};

const char *proto_type_name(enum proto_type t)
{
    return (int)t >= PROTO_HELLO && (int)t <= PROTO_ERROR ? proto_types[t].name : "unknown";
}

void proto_init(struct proto_msg *m, enum proto_type t)
{
    bool known = (int)t >= PROTO_HELLO && (int)t <= PROTO_ERROR;

    /* Only the type's own union member: the largest (STATS, DONE) is 110
     * KiB, which would dominate decoding a heartbeat. */
    memset(m, 0, offsetof(struct proto_msg, u) + (known ? proto_types[t].size : 0));
    m->type = t;
    m->vmajor = PROTO_MAJOR;
    m->vminor = PROTO_MINOR;
    if (t == PROTO_CONFIGURE)
        ratectl_curve_init(&m->u.configure.curve);
    else if (t == PROTO_STATS)
        stats_init(&m->u.stats.s);
    else if (t == PROTO_DONE)
        stats_init(&m->u.done.total);
}

void proto_free(struct proto_msg *m)
{
    if (m->type == PROTO_CONFIGURE && m->u.configure.keys_text != NULL) {
        explicit_bzero(m->u.configure.keys_text, m->u.configure.keys_len);
        free(m->u.configure.keys_text);
    }
    proto_init(m, m->type);
}

void proto_buf_free(uint8_t *buf, size_t len)
{
    if (buf == NULL)
        return;
    explicit_bzero(buf, len);
    free(buf);
}

/* -------------------------------------------------------------- encode */

struct enc {
    msgpack_packer pk;
    uint8_t *buf;
    size_t len, cap;
    uint32_t left[PROTO_MAX_DEPTH]; /* keys still due in each open map */
    int depth;
    bool failed;                   /* err is set */
    bool miscount;                 /* a map got more or fewer keys than declared */
    char *err;
};

static void enc_fail(struct enc *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void enc_fail(struct enc *e, const char *fmt, ...)
{
    va_list ap;

    if (e->failed)
        return;
    e->failed = true;
    if (e->err != NULL) {
        va_start(ap, fmt);
        vsnprintf(e->err, ERR_LEN, fmt, ap);
        va_end(ap);
    }
}

/* The packer's sink. Growing wipes the old buffer: it may hold key text. */
static int enc_write(void *data, const char *p, size_t n)
{
    struct enc *e = data;

    if (e->failed)
        return -1;
    if (n > PROTO_MAX_MSG - e->len) {
        enc_fail(e, "message larger than %u bytes", PROTO_MAX_MSG);
        return -1;
    }
    if (n > e->cap - e->len) {
        size_t cap = e->cap * 2;
        uint8_t *nb;

        while (cap - e->len < n)
            cap *= 2;
        nb = malloc(cap);
        if (nb == NULL) {
            enc_fail(e, "out of memory");
            return -1;
        }
        memcpy(nb, e->buf, e->len);
        explicit_bzero(e->buf, e->len);
        free(e->buf);
        e->buf = nb;
        e->cap = cap;
    }
    memcpy(e->buf + e->len, p, n);
    e->len += n;
    return 0;
}

static void enc_map(struct enc *e, size_t n)
{
    msgpack_pack_map(&e->pk, n);
    if (e->depth == PROTO_MAX_DEPTH)
        e->miscount = true;
    else
        e->left[e->depth++] = (uint32_t)n;
}

static void enc_end(struct enc *e)
{
    if (e->depth == 0 || e->left[--e->depth] != 0)
        e->miscount = true;
}

static void enc_str(struct enc *e, const char *s, size_t n)
{
    msgpack_pack_str(&e->pk, n);
    msgpack_pack_str_body(&e->pk, s, n);
}

static void enc_key(struct enc *e, const char *k)
{
    enc_str(e, k, strlen(k));
    if (e->depth == 0 || e->left[e->depth - 1] == 0)
        e->miscount = true;
    else
        e->left[e->depth - 1]--;
}

static void enc_fields(struct enc *e, const char *path, const struct proto_fieldset *fs,
                       const void *base)
{
    const struct proto_field *f = fs->f;

    for (size_t i = 0; i < fs->n; i++) {
        const char *p = (const char *)base + f[i].off;
        size_t sl;

        enc_key(e, f[i].key);
        switch (f[i].kind) {
        case K_U32: msgpack_pack_uint32(&e->pk, *(const uint32_t *)p); break;
        case K_U64: msgpack_pack_uint64(&e->pk, *(const uint64_t *)p); break;
        case K_I64: msgpack_pack_int64(&e->pk, *(const int64_t *)p); break;
        case K_F64: msgpack_pack_double(&e->pk, *(const double *)p); break;
        case K_BOOL:
            if (*(const bool *)p)
                msgpack_pack_true(&e->pk);
            else
                msgpack_pack_false(&e->pk);
            break;
        case K_STR:
            sl = strnlen(p, f[i].cap);
            if (sl == f[i].cap)
                enc_fail(e, "%s.%s: not NUL-terminated within %zu bytes", path, f[i].key, f[i].cap);
            enc_str(e, p, sl);
            break;
        }
    }
}

static void enc_hist(struct enc *e, const char *key, const struct hist *h,
                     struct hist_pair *pairs)
{
    struct hist_head head;
    size_t n = hist_export(h, &head, pairs, HIST_BUCKETS);

    enc_key(e, key);
    enc_map(e, proto_fs_head.n + 1);
    enc_fields(e, key, &proto_fs_head, &head);
    enc_key(e, "b");
    msgpack_pack_array(&e->pk, 2 * n);
    for (size_t i = 0; i < n; i++) {
        msgpack_pack_uint32(&e->pk, pairs[i].index);
        msgpack_pack_uint64(&e->pk, pairs[i].count);
    }
    enc_end(e);
}

static void enc_interval(struct enc *e, const char *key, const struct stats_interval *s,
                         struct hist_pair *pairs)
{
    uint32_t nn = s->nnodes < STATS_MAX_NODES ? s->nnodes : STATS_MAX_NODES;

    enc_key(e, key);
    /* "nodes" (minor version 1) only when there is a breakdown: a 1.0
     * decoder ignores it, and a 1.0 encoder's message decodes without it. */
    enc_map(e, proto_fs_interval.n + 5 + (nn > 0));
    enc_fields(e, key, &proto_fs_interval, s);
    enc_key(e, "c");
    enc_map(e, proto_fs_counters.n + proto_fs_counters12.n + 1);
    enc_fields(e, "c", &proto_fs_counters, &s->c);
    enc_fields(e, "c", &proto_fs_counters12, &s->c);
    enc_key(e, "rejected");
    enc_map(e, STATS_REJ_COUNT);
    for (int r = 0; r < STATS_REJ_COUNT; r++) {
        enc_key(e, stats_reject_name((enum stats_reject)r));
        msgpack_pack_uint64(&e->pk, s->c.rejected[r]);
    }
    enc_end(e);
    enc_end(e);
    enc_key(e, "g");
    enc_map(e, proto_fs_gauges.n + proto_fs_gauges12.n);
    enc_fields(e, "g", &proto_fs_gauges, &s->g);
    enc_fields(e, "g", &proto_fs_gauges12, &s->g);
    enc_end(e);
    enc_hist(e, "ack", &s->ack, pairs);
    enc_hist(e, "inclusion", &s->inclusion, pairs);
    enc_hist(e, "lateness", &s->lateness, pairs);
    if (nn > 0) {
        enc_key(e, "nodes");
        msgpack_pack_array(&e->pk, nn);
        for (uint32_t i = 0; i < nn; i++) {
            enc_map(e, proto_fs_node.n + proto_fs_node12.n + proto_fs_node13.n);
            enc_fields(e, "nodes", &proto_fs_node, &s->node[i]);
            enc_fields(e, "nodes", &proto_fs_node12, &s->node[i]);
            enc_fields(e, "nodes", &proto_fs_node13, &s->node[i]);
            enc_end(e);
        }
    }
    enc_end(e);
}

static void enc_configure(struct enc *e, const struct proto_configure *c)
{
    if (c->keys_len > 0) {
        enc_key(e, "keys");
        enc_str(e, c->keys_text, c->keys_len);
    }
    enc_key(e, "nodes");
    msgpack_pack_array(&e->pk, c->nnodes);
    for (uint32_t i = 0; i < c->nnodes; i++) {
        size_t n = strnlen(c->nodes[i], PROTO_STR);

        if (n == PROTO_STR)
            enc_fail(e, "configure.nodes[%" PRIu32 "]: not NUL-terminated", i);
        enc_str(e, c->nodes[i], n);
    }
    enc_key(e, "weights");
    msgpack_pack_array(&e->pk, c->nnodes);
    for (uint32_t i = 0; i < c->nnodes; i++)
        msgpack_pack_uint32(&e->pk, c->weights[i]);
    enc_key(e, "spread");
    enc_str(e, proto_spread_names[c->spread], strlen(proto_spread_names[c->spread]));
    enc_key(e, "curve");
    enc_map(e, proto_fs_curve.n + 1);
    enc_fields(e, "configure.curve", &proto_fs_curve, &c->curve);
    enc_key(e, "seg");
    msgpack_pack_array(&e->pk, c->curve.nseg);
    for (size_t i = 0; i < c->curve.nseg; i++) {
        msgpack_pack_array(&e->pk, 3);
        msgpack_pack_double(&e->pk, c->curve.seg[i].from);
        msgpack_pack_double(&e->pk, c->curve.seg[i].to);
        msgpack_pack_uint64(&e->pk, c->curve.seg[i].dur_ns);
    }
    enc_end(e);
}

/* Refuses what the decoder would refuse, so that every encoding decodes. */
static int enc_check(const struct proto_msg *m, char *err)
{
    const struct proto_configure *c = &m->u.configure;

    if (m->type == PROTO_CONFIGURE) {
        if (c->nnodes > PROTO_MAX_NODES)
            return err_set(err, "configure.nodes: %" PRIu32 " nodes, at most %d",
                           c->nnodes, PROTO_MAX_NODES);
        if ((unsigned)c->spread >= 3)
            return err_set(err, "configure.spread: invalid value %d", (int)c->spread);
        if (c->curve.nseg > RATECTL_MAX_SEGS)
            return err_set(err, "configure.curve: %zu segments, at most %d",
                           c->curve.nseg, RATECTL_MAX_SEGS);
        if (c->keys_len > PROTO_MAX_KEYS_TEXT)
            return err_set(err, "configure.keys: %zu bytes, at most %u",
                           c->keys_len, PROTO_MAX_KEYS_TEXT);
        if (c->keys_len > 0 && c->keys_text == NULL)
            return err_set(err, "configure.keys: keys_len %zu but no text", c->keys_len);
        if (c->keys_len > 0 && memchr(c->keys_text, 0, c->keys_len) != NULL)
            return err_set(err, "configure.keys: contains a NUL byte");
    }
    if (m->type == PROTO_EVENT && (unsigned)m->u.event.level >= 3)
        return err_set(err, "event.level: invalid value %d", (int)m->u.event.level);
    return 0;
}

int proto_encode(const struct proto_msg *m, uint8_t **out, size_t *len, char *err)
{
    struct enc e = {.err = err, .cap = 4096};
    struct hist_pair *pairs = NULL;
    size_t nkeys;
    const char *name;

    if ((int)m->type < PROTO_HELLO || (int)m->type > PROTO_ERROR)
        return err_set(err, "cannot encode message type %d", (int)m->type);
    if (enc_check(m, err) < 0)
        return -1;
    name = proto_types[m->type].name;
    nkeys = 2 + proto_types[m->type].fs.n + proto_types[m->type].nspecial;
    if (m->type == PROTO_CONFIGURE) {
        /* Room for everything at once, so the key text is never copied
         * by a growth step. */
        e.cap += m->u.configure.keys_len + sizeof(m->u.configure);
        nkeys += m->u.configure.keys_len > 0;
    }
    if (m->type == PROTO_STATS || m->type == PROTO_DONE) {
        pairs = malloc(HIST_BUCKETS * sizeof(*pairs));
        if (pairs == NULL)
            return err_set(err, "out of memory");
    }
    e.buf = malloc(e.cap);
    if (e.buf == NULL) {
        free(pairs);
        return err_set(err, "out of memory");
    }
    msgpack_packer_init(&e.pk, &e, enc_write);

    enc_map(&e, nkeys);
    enc_key(&e, "v");
    msgpack_pack_array(&e.pk, 2);
    msgpack_pack_uint32(&e.pk, PROTO_MAJOR);
    msgpack_pack_uint32(&e.pk, PROTO_MINOR);
    enc_key(&e, "t");
    enc_str(&e, name, strlen(name));
    enc_fields(&e, name, &proto_types[m->type].fs, &m->u);
    switch (m->type) {
    case PROTO_CONFIGURE:
        enc_configure(&e, &m->u.configure);
        break;
    case PROTO_READY:
        enc_key(&e, "chain");
        enc_map(&e, proto_fs_chain.n);
        enc_fields(&e, "ready.chain", &proto_fs_chain, &m->u.ready.chain);
        enc_end(&e);
        break;
    case PROTO_STATS:
        enc_interval(&e, "s", &m->u.stats.s, pairs);
        break;
    case PROTO_DONE:
        enc_interval(&e, "total", &m->u.done.total, pairs);
        break;
    case PROTO_HELLO:
        /* "session" (minor version 2): a 1.1 decoder ignores it. */
        enc_key(&e, "session");
        msgpack_pack_uint64(&e.pk, m->u.hello.session);
        break;
    case PROTO_EVENT:
        enc_key(&e, "level");
        enc_str(&e, proto_level_names[m->u.event.level], strlen(proto_level_names[m->u.event.level]));
        break;
    default:
        break;
    }
    enc_end(&e);
    free(pairs);
    if (!e.failed && (e.miscount || e.depth != 0))
        enc_fail(&e, "%s: internal error: map size mismatch", name);
    if (e.failed) {
        proto_buf_free(e.buf, e.cap);
        return -1;
    }
    *out = e.buf;
    *len = e.len;
    return 0;
}

