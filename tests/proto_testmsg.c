/* proto_testmsg.c - see proto_testmsg.h. */
#include "proto_testmsg.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "err.h"

struct proto_msg *pt_msg_new(void)
{
    struct proto_msg *m = malloc(sizeof(*m));

    assert_non_null(m);
    proto_init(m, PROTO_HELLO);
    return m;
}

void pt_msg_del(struct proto_msg *m)
{
    proto_free(m);
    free(m);
}

void pt_fill_hist(struct hist *h, uint64_t salt)
{
    /* Spread over many buckets, with repeats, zero, and clamped values. */
    for (uint64_t i = 0; i < 3000; i++)
        hist_record(h, (i * i * 7919 + salt) % (UINT64_C(1) << (8 + i % 30)));
    hist_record_n(h, 0, 3);
    hist_record(h, HIST_MAX + 12345 + salt);
}

void pt_fill_stats(struct stats_interval *s, uint64_t seq)
{
    uint64_t *c = (uint64_t *)&s->c;

    s->seq = seq;
    s->t0_ns = 1000000000ull * seq + 17;
    s->t1_ns = s->t0_ns + 999999989;
    s->wall_ms = 1700000000123ull + seq;
    /* Every counter distinct, some above 2^32 and one at the top. */
    for (size_t i = 0; i < sizeof(s->c) / sizeof(uint64_t); i++)
        c[i] = (i % 3 == 0) ? (UINT64_C(1) << 33) + i * 1000003 : 1000 + i * 7;
    s->c.block_bytes = UINT64_MAX;
    s->g.head_block = 123456789;
    s->g.irreversible_block = 123456700;
    s->g.pool_level = 40000;
    s->g.in_flight = 77;
    s->g.unconfirmed = 4321;
    s->g.pending = 55;
    s->g.held_pending = (UINT64_C(1) << 40) + 3;
    s->g.conns_ready = 6;
    s->g.target_rate = 2000.0 / 3.0;
    s->g.cpu_proc_pct = 187.123456789;
    s->g.cpu_proc_all_pct = 1e-300;
    s->g.cpu_host_pct = -0.0;
    s->g.rss_bytes = 123456789012ull;
    s->g.cores = 16;
    pt_fill_hist(&s->ack, seq);
    pt_fill_hist(&s->inclusion, seq * 31 + 5);
    pt_fill_hist(&s->lateness, seq * 97 + 11);
    /* Two target nodes, every figure distinct, one at the top. */
    s->nnodes = 2;
    for (uint32_t n = 0; n < 2; n++) {
        uint64_t *v = (uint64_t *)&s->node[n];
        for (size_t i = 0; i < sizeof(s->node[n]) / sizeof(uint64_t); i++)
            v[i] = seq * 1000 + n * 100 + i + 1;
    }
    s->node[1].ack_max_ns = UINT64_MAX;
}

/* A message of type t with non-trivial values in every field. */
void pt_fill_msg(struct proto_msg *m, enum proto_type t, const char *keys)
{
    char err[ERR_LEN];

    proto_free(m);
    proto_init(m, t);
    switch (t) {
    case PROTO_HELLO:
        snprintf(m->u.hello.beacon_id, PROTO_STR, "host-a/1234");
        snprintf(m->u.hello.version, PROTO_STR, "0.1.0");
        snprintf(m->u.hello.host, PROTO_STR, "host-a.example.org");
        m->u.hello.cores = 64;
        m->u.hello.acked_seq = 4294967296ull + 5;
        m->u.hello.session = 0x8000000000000001ull;
        break;
    case PROTO_WELCOME:
        snprintf(m->u.welcome.run_id, PROTO_STR, "20240101-120000-7f3a");
        snprintf(m->u.welcome.version, PROTO_STR, "0.1.0+overseer");
        m->u.welcome.heartbeat_ms = 1000;
        m->u.welcome.lease_ms = 5000;
        break;
    case PROTO_CONFIGURE: {
        struct proto_configure *c = &m->u.configure;

        c->phase = 3;
        snprintf(c->phase_name, PROTO_STR, "ramp to 20k");
        c->nnodes = 3;
        for (uint32_t i = 0; i < c->nnodes; i++) {
            snprintf(c->nodes[i], PROTO_STR, "wss://node%u.example.org:8090/ws", i);
            c->weights[i] = 10 * i + 1;
        }
        c->spread = PROTO_SPREAD_WEIGHTS;
        c->conns_per_node = 4;
        c->follow_all = true;
        c->tls_insecure = false;
        if (keys != NULL) {
            c->keys_len = strlen(keys);
            c->keys_text = malloc(c->keys_len + 1);
            assert_non_null(c->keys_text);
            memcpy(c->keys_text, keys, c->keys_len + 1);
        }
        assert_int_equal(ratectl_curve_add(&c->curve, 0, 20000, 30000000000ull, err), 0);
        assert_int_equal(ratectl_curve_add(&c->curve, 20000, 20000, 60000000000ull, err), 0);
        assert_int_equal(ratectl_curve_add(&c->curve, 0.5, 0.5, RATECTL_FOREVER, err), 0);
        c->share_index = 2;
        c->share_count = 5;
        c->weight_transfer = 70;
        c->weight_limit_order = 30;
        c->ops_per_tx = 3;
        c->seed = 0xdeadbeefcafef00dull;
        c->k_offset = 1ull << 40;
        c->window = 256;
        c->threads = 7;
        c->presign_ahead_s = 2.5;
        c->expire_s = 86400;
        c->late_ns = 1000000;
        c->drop_horizon_ns = 5000000000ull;
        c->ack_timeout_ns = 10000000000ull;
        c->drain_ns = 30000000000ull;
        break;
    }
    case PROTO_PREPARE:
        m->u.prepare.phase = 3;
        m->u.prepare.items = 1200000;
        break;
    case PROTO_READY:
        m->u.ready.phase = 3;
        m->u.ready.ok = false;
        snprintf(m->u.ready.error, PROTO_TEXT, "node wss://n1: account \"alice\": key is not active");
        m->u.ready.pool_level = 99999;
        memset(m->u.ready.chain.chain_id, 'a', 64);
        m->u.ready.chain.max_tx_size = 1u << 20;
        m->u.ready.chain.max_block_size = 2u << 20;
        m->u.ready.chain.block_interval = 3;
        m->u.ready.chain.max_expiration = 86400;
        m->u.ready.chain.transfer_fee = 86869;
        m->u.ready.chain.order_fee = INT64_MIN;
        m->u.ready.chain.tx_size = 178;
        break;
    case PROTO_START:
        m->u.start.phase = 3;
        m->u.start.start_in_ns = 250000000;
        break;
    case PROTO_STOP:
        m->u.stop.phase = 3;
        m->u.stop.abort = true;
        break;
    case PROTO_STATS:
        m->u.stats.phase = 3;
        m->u.stats.second = 17;
        m->u.stats.verdict = STATS_NODE_BOUND;
        snprintf(m->u.stats.reason, PROTO_STR, "timeouts");
        pt_fill_stats(&m->u.stats.s, 42);
        break;
    case PROTO_STATS_ACK:
        m->u.stats_ack.seq = 42;
        break;
    case PROTO_EVENT:
        m->u.event.phase = 3;
        m->u.event.level = PROTO_WARN;
        snprintf(m->u.event.text, PROTO_TEXT, "connection to wss://n2 lost: \"reset\"; reconnecting");
        break;
    case PROTO_DONE:
        m->u.done.phase = 3;
        m->u.done.verdict = STATS_BEACON_BOUND;
        snprintf(m->u.done.reason, PROTO_STR, "pool empty");
        pt_fill_stats(&m->u.done.total, 90);
        m->u.done.sign_cpu_ns = 123456789012ull;
        m->u.done.signed_count = 1800000;
        m->u.done.send_cpu_ns = 9876543210ull;
        m->u.done.sent_count = 1799990;
        break;
    case PROTO_HEARTBEAT:
        m->u.heartbeat.t_ns = 987654321012345ull;
        m->u.heartbeat.echo_ns = 987654300000000ull;
        m->u.heartbeat.echo_delay_ns = 612345678;
        m->u.heartbeat.state = 3;
        m->u.heartbeat.cpu_pct = 312.5;
        break;
    case PROTO_BYE:
        snprintf(m->u.bye.text, PROTO_TEXT, "scenario finished");
        break;
    case PROTO_ERROR:
        snprintf(m->u.error.text, PROTO_TEXT, "unknown message type \"frobnicate\"");
        break;
    }
}

/* What proto_init clears: the union member of type t. */
size_t pt_member_size(enum proto_type t)
{
    switch (t) {
    case PROTO_HELLO: return sizeof(struct proto_hello);
    case PROTO_WELCOME: return sizeof(struct proto_welcome);
    case PROTO_CONFIGURE: return sizeof(struct proto_configure);
    case PROTO_PREPARE: return sizeof(struct proto_prepare);
    case PROTO_READY: return sizeof(struct proto_ready);
    case PROTO_START: return sizeof(struct proto_start);
    case PROTO_STOP: return sizeof(struct proto_stop);
    case PROTO_STATS: return sizeof(struct proto_stats);
    case PROTO_STATS_ACK: return sizeof(struct proto_stats_ack);
    case PROTO_EVENT: return sizeof(struct proto_event);
    case PROTO_DONE: return sizeof(struct proto_done);
    case PROTO_HEARTBEAT: return sizeof(struct proto_heartbeat);
    case PROTO_BYE: case PROTO_ERROR: return sizeof(struct proto_text);
    }
    fail_msg("bad type %d", (int)t);
    return 0;
}

/* Field-by-field equality of two messages, as bytes: both went through
 * proto_init, so padding is zero in both. CONFIGURE's key text is compared
 * by content, not by pointer. */
void pt_assert_msg_equal(const struct proto_msg *a, const struct proto_msg *b)
{
    assert_int_equal(a->type, b->type);
    if (a->type == PROTO_CONFIGURE) {
        const struct proto_configure *x = &a->u.configure, *y = &b->u.configure;
        size_t k = offsetof(struct proto_configure, keys_text);
        size_t after = offsetof(struct proto_configure, keys_len) + sizeof(size_t);

        assert_memory_equal(x, y, k);
        assert_memory_equal((const char *)x + after, (const char *)y + after, sizeof(*x) - after);
        assert_int_equal(x->keys_len, y->keys_len);
        if (x->keys_len > 0)
            assert_memory_equal(x->keys_text, y->keys_text, x->keys_len);
        else
            assert_null(y->keys_text);
        return;
    }
    assert_memory_equal(&a->u, &b->u, pt_member_size(a->type));
}

/* Decoding into a message does not free what it held (proto.h). */
int pt_redecode(struct proto_msg *m, const uint8_t *buf, size_t len, char *err)
{
    proto_free(m);
    return proto_decode(m, buf, len, err);
}

uint8_t *pt_enc(const struct proto_msg *m, size_t *len)
{
    char err[ERR_LEN] = "";
    uint8_t *buf = NULL;

    if (proto_encode(m, &buf, len, err) != 0)
        fail_msg("encode %s: %s", proto_type_name(m->type), err);
    return buf;
}

/* ------------------------------------------------ a tiny msgpack walker */

static uint64_t pt_rd(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

/* Size of the object at b[pos] (valid msgpack assumed: our own encodings);
 * records map keys under path. */
static size_t pt_walk_obj(struct pt_walk *w, const uint8_t *b, size_t pos, const char *path)
{
    uint8_t c = b[pos];
    size_t p = pos, n;

    if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 || c == 0xc3)
        return 1;
    if (c >= 0xa0 && c <= 0xbf)
        return 1 + (c & 0x1f);
    switch (c) {
    case 0xcc: return 2;
    case 0xcd: return 3;
    case 0xce: return 5;
    case 0xcf: case 0xcb: case 0xd3: return 9;
    case 0xd0: return 2;
    case 0xd1: return 3;
    case 0xd2: return 5;
    case 0xd9: return 2 + b[pos + 1];
    case 0xda: return 3 + pt_rd(b + pos + 1, 2);
    case 0xdb: return 5 + pt_rd(b + pos + 1, 4);
    default: break;
    }
    if ((c & 0xf0) == 0x90 || c == 0xdc) {
        n = c == 0xdc ? pt_rd(b + pos + 1, 2) : (size_t)(c & 0x0f);
        p += c == 0xdc ? 3 : 1;
        for (size_t i = 0; i < n; i++)
            p += pt_walk_obj(w, b, p, path);
        return p - pos;
    }
    if ((c & 0xf0) == 0x80 || c == 0xde) {
        struct pt_mapref *mr = &w->maps[w->nmaps++];

        assert_true(w->nmaps <= 40);
        n = c == 0xde ? pt_rd(b + pos + 1, 2) : (size_t)(c & 0x0f);
        mr->pos = pos;
        mr->hlen = c == 0xde ? 3 : 1;
        mr->n = (uint32_t)n;
        p += mr->hlen;
        for (size_t i = 0; i < n; i++) {
            struct pt_key *k = &w->keys[w->nkeys++];
            size_t kl = pt_walk_obj(w, b, p, path);

            assert_true(w->nkeys <= 400);
            assert_true(b[p] >= 0xa0 && b[p] <= 0xbf); /* our keys are fixstr */
            snprintf(k->path, sizeof k->path, "%s%s%.*s", path, *path ? "." : "",
                     (int)(kl - 1), (const char *)b + p + 1);
            k->name = strrchr(k->path, '.') ? strrchr(k->path, '.') + 1 : k->path;
            k->kpos = p + 1;
            p += kl;
            k->vpos = p;
            k->vlen = pt_walk_obj(w, b, p, k->path);
            p += k->vlen;
        }
        return p - pos;
    }
    fail_msg("walker: unexpected byte 0x%02x", c);
    return 0;
}

void pt_walk(struct pt_walk *w, const uint8_t *b, size_t len)
{
    w->nkeys = w->nmaps = 0;
    assert_int_equal(pt_walk_obj(w, b, 0, ""), len);
}

/* New buffer: b with [pos, pos+cut) replaced by ins[0..n). */
uint8_t *pt_buf_splice(const uint8_t *b, size_t len, size_t pos, size_t cut,
                       const void *ins, size_t n, size_t *outlen)
{
    uint8_t *o = malloc(len - cut + n + 1);

    assert_non_null(o);
    memcpy(o, b, pos);
    memcpy(o + pos, ins, n);
    memcpy(o + pos + n, b + pos + cut, len - pos - cut);
    *outlen = len - cut + n;
    return o;
}

/* Replaces the value of the key at dotted path (first match). */
uint8_t *pt_set_value(const uint8_t *b, size_t len, const char *path, const void *v,
                          size_t vn, size_t *outlen)
{
    static struct pt_walk w;

    pt_walk(&w, b, len);
    for (size_t i = 0; i < w.nkeys; i++)
        if (strcmp(w.keys[i].path, path) == 0)
            return pt_buf_splice(b, len, w.keys[i].vpos, w.keys[i].vlen, v, vn, outlen);
    fail_msg("no key %s", path);
    return NULL;
}

void pt_mp_raw(struct pt_mp *m, const void *p, size_t n)
{
    assert_true(m->n + n <= sizeof m->b);
    memcpy(m->b + m->n, p, n);
    m->n += n;
}

void pt_mp_byte(struct pt_mp *m, uint8_t c)
{
    pt_mp_raw(m, &c, 1);
}

void pt_mp_be(struct pt_mp *m, uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; i--)
        pt_mp_byte(m, (uint8_t)(v >> (8 * i)));
}

void pt_mp_uint(struct pt_mp *m, uint64_t v)
{
    pt_mp_byte(m, 0xcf);
    pt_mp_be(m, v, 8);
}

void pt_mp_str(struct pt_mp *m, const char *s, size_t n)
{
    pt_mp_byte(m, 0xdb);
    pt_mp_be(m, n, 4);
    pt_mp_raw(m, s, n);
}

void pt_mp_arr(struct pt_mp *m, uint32_t n)
{
    pt_mp_byte(m, 0xdd);
    pt_mp_be(m, n, 4);
}


/* ------------------------------------------------------ hostile input */

const struct pt_hostile pt_hostile[] = {
    {"array32 of 4G", "\xdd\xff\xff\xff\xff", 5, "declares 4294967295 elements, 0 bytes follow"},
    {"array32 of 16M", "\xdd\x00\xff\xff\xff\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0\xc0", 16, "declares 16777215 elements, 11 bytes follow"},
    {"map32 of 4G", "\xdf\xff\xff\xff\xff\xa1v", 7, "declares 8589934590 elements, 2 bytes follow"},
    {"nested arrays", "\x91\x91\x91\xdd\x08\x00\x00\x00\x91\x91\xdd\x7f\xff\xff\xff\x00", 16, "declares 134217728 elements"},
    {"map16 in map", "\x81\xa1v\xde\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 16, "declares 131070 elements, 10 bytes follow"},
    {"str32 of 4G", "\x81\xa1t\xdb\xff\xff\xff\xff""abcdefgh", 16, "declares 4294967295 bytes, 8 follow"},
    {"bin32 of 4G", "\xc6\xff\xff\xff\xff", 5, "declares 4294967295 bytes, 0 follow"},
    {"ext32 of 4G", "\xc9\xff\xff\xff\xff\x01", 6, "declares 4294967296 bytes, 1 follow"},
    {"deep nesting", "\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\x91\xc0", 20, "nested deeper than 16"},
    {"reserved byte", "\x81\xa1v\xc1", 4, "invalid msgpack byte 0xc1 at offset 3"},
    {"trailing bytes", "\x80\x80", 2, "1 bytes after the end"},
    {"not a map", "\x92\x01\x00", 3, "message: expected a map, got array"},
    {"empty map", "\x80", 1, "v: missing"},
    {"empty", "", 0, "empty message"},
    {"fixstr past end", "\x81\xa1v\xbf", 4, "declares 31 bytes, 0 follow"},
    {"float past end", "\x81\xa1v\xcb\x00", 5, "declares 8 bytes, 1 follow"},
    {"array16 header cut", "\xdc\x00", 2, "truncated"},
};


const size_t pt_nhostile = sizeof pt_hostile / sizeof pt_hostile[0];
