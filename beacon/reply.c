/* reply.c - see reply.h. */
#include "reply.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "jv.h"

/* ---- fast path ----
 * Only spellings whose meaning is certain are accepted: each member is one
 * of three literal forms, each at most once, no whitespace, and the id has
 * at most 18 digits so it can neither overflow nor exceed INT64_MAX (which
 * the full parser would refuse). Anything else returns false and the full
 * parser decides, so the two can never disagree. */

#define LIT(s) s, sizeof(s) - 1

static bool take(const char **p, const char *end, const char *lit, size_t n)
{
    if ((size_t)(end - *p) < n || memcmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

bool reply_parse_fast(struct reply *r, const char *msg, size_t len)
{
    const char *p = msg, *end = msg + len;
    bool have_id = false, have_result = false, have_rpc = false;
    uint64_t id = 0;

    if (!take(&p, end, LIT("{")))
        return false;
    for (;;) {
        if (take(&p, end, LIT("\"id\":"))) {
            const char *d = p;
            if (have_id || p == end || *p < '0' || *p > '9')
                return false;
            if (*p == '0' && end - p > 1 && p[1] >= '0' && p[1] <= '9')
                return false; /* leading zero: not JSON */
            while (p < end && *p >= '0' && *p <= '9' && p - d < 19)
                id = id * 10 + (uint64_t)(*p++ - '0');
            if (p - d > 18)
                return false;
            have_id = true;
        } else if (take(&p, end, LIT("\"result\":null"))) {
            if (have_result)
                return false;
            have_result = true;
        } else if (take(&p, end, LIT("\"jsonrpc\":\"2.0\""))) {
            if (have_rpc)
                return false;
            have_rpc = true;
        } else {
            return false;
        }
        if (take(&p, end, LIT(",")))
            continue;
        if (!take(&p, end, LIT("}")) || p != end || !have_id || !have_result)
            return false;
        break;
    }
    r->kind = REPLY_RESULT;
    r->has_id = true;
    r->id = id;
    r->result_null = true;
    r->code = 0;
    r->name[0] = '\0';
    r->message[0] = '\0';
    r->notice_cb = 0;
    return true;
}

/* ---- full parser ---- */

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 when it is
 * not one (overlong, surrogate, above U+10FFFF, cut short); *cp gets the
 * code point. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
    size_t len = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
    uint32_t c;

    if (len == 0 || len > n || s[0] > 0xF4)
        return 0;
    c = s[0] & (0x7Fu >> len);
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3Fu);
    }
    if ((len == 2 && c < 0x80) || (len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
        c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0;
    *cp = c;
    return len;
}

/* Code points a terminal acts on rather than shows: C1 controls (U+0080..9F,
 * 0x9B is CSI), the line and paragraph separators and the bidirectional
 * overrides and isolates (text that reads differently from what it is). */
static bool unsafe_cp(uint32_t c)
{
    return (c >= 0x80 && c <= 0x9F) || (c >= 0x2028 && c <= 0x202E) ||
           (c >= 0x2066 && c <= 0x2069);
}

/* Copies a JSON string into dst (cap bytes with the NUL) as safe text: a
 * node's words reach terminals and events.log, so control bytes become
 * \n, \r, \t or \xNN, a backslash \\, bytes that are not UTF-8 \xNN and the
 * code points of unsafe_cp \u{XXXX}; everything else (printable ASCII, valid
 * UTF-8) is kept. A long text is cut between whole characters or escapes. */
void reply_escape(char *dst, size_t cap, const char *text, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    const unsigned char *s = (const unsigned char *)text;
    size_t o = 0;

    for (size_t i = 0; s != NULL && i < n;) {
        char esc[12];
        size_t k = 0, step = 1;
        uint32_t cp;

        if (s[i] == '\\') {
            esc[k++] = '\\';
            esc[k++] = '\\';
        } else if (s[i] == '\n' || s[i] == '\r' || s[i] == '\t') {
            esc[k++] = '\\';
            esc[k++] = s[i] == '\n' ? 'n' : s[i] == '\r' ? 'r' : 't';
        } else if (s[i] >= 0x20 && s[i] < 0x7F) {
            esc[k++] = (char)s[i];
        } else if (s[i] >= 0x80 && (step = utf8_len(s + i, n - i, &cp)) > 0 && !unsafe_cp(cp)) {
            memcpy(esc, s + i, step);
            k = step;
        } else if (s[i] >= 0x80 && step > 0) {
            k = (size_t)snprintf(esc, sizeof esc, "\\u{%04x}", (unsigned)cp);
        } else {
            step = 1; /* a C0 control, DEL, or a byte that is not UTF-8 */
            esc[k++] = '\\';
            esc[k++] = 'x';
            esc[k++] = hex[s[i] >> 4];
            esc[k++] = hex[s[i] & 15];
        }
        if (o + k >= cap)
            break;
        memcpy(dst + o, esc, k);
        o += k;
        i += step;
    }
    dst[o] = '\0';
}

static void copy_str(char *dst, size_t cap, const struct jv *v)
{
    size_t n = 0;
    const char *s = jv_str(v, &n);

    reply_escape(dst, cap, s, s != NULL ? n : 0);
}

/* A strict non-negative integer (JSON integer type only; jv_uint64 would
 * also take 3.0 and "3", which no node sends as an id). */
static int read_id(const struct jv *v, uint64_t *out, const char *what, char *err)
{
    char e[ERR_LEN];

    if (jv_type(v) != JV_INT)
        return err_set(err, "reply: %s must be a non-negative integer, got %s", what,
                       jv_type_name(v));
    if (jv_uint64(v, INT64_MAX, out, e) < 0)
        return err_set(err, "reply: %s: %s", what, e);
    return 0;
}

static int read_error(struct reply *r, const struct jv *error, char *err)
{
    const struct jv *data = jv_get(error, "data");
    const struct jv *code = jv_get(data, "code");
    const struct jv *msg = jv_get(error, "message");
    int64_t c;

    if (jv_type(error) != JV_OBJECT)
        return err_set(err, "reply: error must be an object, got %s", jv_type_name(error));
    if (jv_type(code) != JV_INT)
        code = jv_get(error, "code");
    if (jv_type(code) != JV_INT || jv_int64(code, INT64_MIN, INT64_MAX, &c, NULL) < 0)
        return err_set(err, "reply: error.code must be an integer, got %s", jv_type_name(code));
    r->kind = REPLY_ERROR;
    r->code = c;
    copy_str(r->name, sizeof r->name, jv_get(data, "name"));
    if (jv_type(msg) != JV_STRING)
        msg = jv_get(data, "message");
    copy_str(r->message, sizeof r->message, msg);
    return 0;
}

static int read_notice(struct reply *r, const struct jv *root, char *err)
{
    const struct jv *method = jv_get(root, "method"), *params = jv_get(root, "params");
    const char *m = jv_str(method, NULL);

    if (m == NULL || strcmp(m, "notice") != 0)
        return err_set(err, "reply: not a result, error or notice (method %s)",
                       m != NULL ? m : jv_type_name(method));
    if (jv_type(params) != JV_ARRAY || jv_len(params) < 1)
        return err_set(err, "reply: notice params must be [callback, [...]]");
    r->kind = REPLY_NOTICE;
    return read_id(jv_at(params, 0), &r->notice_cb, "notice callback id", err);
}

int reply_parse_full(struct reply *r, const char *msg, size_t len, char *err)
{
    char e[ERR_LEN];
    struct jv *root = jv_parse(msg, len, JV_MAX_DEPTH, e);
    const struct jv *id, *result, *error;
    int rc = -1;

    memset(r, 0, sizeof *r);
    if (root == NULL) {
        err_set(err, "reply: %s", e);
        goto out;
    }
    if (jv_type(root) != JV_OBJECT) {
        err_set(err, "reply: expected a JSON object, got %s", jv_type_name(root));
        goto out;
    }
    id = jv_get(root, "id");
    result = jv_get(root, "result");
    error = jv_get(root, "error");
    if (result != NULL && error != NULL) {
        err_set(err, "reply: has both result and error");
        goto out;
    }
    if (result == NULL && error == NULL) {
        if (id != NULL) {
            err_set(err, "reply: id without result or error");
            goto out;
        }
        rc = read_notice(r, root, err);
        goto out;
    }
    /* JSON-RPC allows id null only in errors (the request was unreadable). */
    if (id == NULL || (jv_type(id) == JV_NULL && result != NULL)) {
        err_set(err, "reply: %s needs an id", result != NULL ? "a result" : "an error");
        goto out;
    }
    if (jv_type(id) != JV_NULL) {
        if (read_id(id, &r->id, "id", err) < 0)
            goto out;
        r->has_id = true;
    }
    if (result != NULL) {
        r->kind = REPLY_RESULT;
        r->result_null = jv_type(result) == JV_NULL;
        rc = 0;
    } else {
        rc = read_error(r, error, err);
    }
out:
    jv_free(root);
    return rc;
}

int reply_parse(struct reply *r, const char *msg, size_t len, char *err)
{
    if (reply_parse_fast(r, msg, len))
        return 0;
    return reply_parse_full(r, msg, len, err);
}

/* ---- classification ----
 * Sources (bitshares-core; the devnode, devnode/validate.c and chain.c,
 * reproduces these texts):
 *  - libraries/chain/db_block.cpp, database::_apply_transaction:
 *      FC_ASSERT( trx.ref_block_prefix == tapos_block_summary.block_id._hash[1] );
 *      FC_ASSERT( trx.expiration <= now + chain_parameters.maximum_time_until_expiration, "", ...);
 *      FC_ASSERT( now <= trx.expiration, "", ("now",now)("trx.exp",trx.expiration) );
 *    FC_ASSERT(expr, "") reports the text "expr: ", so the messages hold
 *    "trx.ref_block_prefix" and "trx.expiration". Since HARDFORK_CORE_1573
 *    the same function (and push_transaction's 1 MiB check) asserts
 *    "Transaction exceeds maximum transaction size."; the duplicate check is
 *    GRAPHENE_ASSERT(..., duplicate_transaction, "Transaction '${txid}' is
 *    already in the database", ...).
 *  - libraries/chain/market_evaluator.cpp, limit_order_create_evaluator::
 *    do_evaluate: FC_ASSERT( d.get_balance( *_seller, *_sell_asset ) >=
 *    op.amount_to_sell, "insufficient balance", ...); and
 *    FC_ASSERT( op.expiration >= d.head_block_time() ), an ORDER expiration
 *    (hence "trx.expiration", not "expiration", for EXPIRED).
 *  - libraries/chain/db_balance.cpp, database::adjust_balance: "Insufficient
 *    Balance: ${a}'s balance of ${b} is less than required ${r}";
 *    transfer_evaluator.cpp: "Insufficient Balance: ${balance}, unable to
 *    transfer '${total_transfer}' from account '${a}' to '${t}'".
 *  - libraries/protocol/include/graphene/protocol/exceptions.hpp:
 *    tx_missing_active_auth 4010001, tx_missing_owner_auth 4010002,
 *    tx_missing_other_auth 4010003, tx_irrelevant_sig 4010004,
 *    tx_duplicate_sig 4010005, insufficient_fee 4010007; older
 *    graphene/chain/exceptions.hpp had the same names at 3030001..3030007.
 *  - devnode (no bitshares-core counterpart): assert_exception
 *    "_pending_tx.size() < max_pending: devnode pending queue is full". */

static bool ci_contains(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; *hay != '\0'; hay++) {
        size_t i = 0;
        while (i < n && hay[i] != '\0') {
            char c = hay[i];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c - 'A' + 'a');
            if (c != needle[i])
                break;
            i++;
        }
        if (i == n)
            return true;
    }
    return false;
}

enum stats_reject reply_classify(int64_t code, const char *name, const char *message)
{
    static const struct {
        const char *name;
        enum stats_reject r;
    } names[] = {
        {"duplicate_transaction", STATS_REJ_DUPLICATE},
        {"tx_missing_active_auth", STATS_REJ_MISSING_SIG},
        {"tx_missing_owner_auth", STATS_REJ_MISSING_SIG},
        {"tx_missing_other_auth", STATS_REJ_MISSING_SIG},
        {"tx_irrelevant_sig", STATS_REJ_IRRELEVANT_SIG},
        {"tx_duplicate_sig", STATS_REJ_IRRELEVANT_SIG},
        {"insufficient_fee", STATS_REJ_FEE},
    };
    /* Message phrases, lowercase, in priority order. */
    static const struct {
        const char *phrase;
        enum stats_reject r;
    } phrases[] = {
        {"ref_block_prefix", STATS_REJ_TAPOS},
        {"tapos", STATS_REJ_TAPOS},
        {"trx.expiration", STATS_REJ_EXPIRED},
        {"maximum transaction size", STATS_REJ_SIZE},
        {"maximum_transaction_size", STATS_REJ_SIZE},
        {"insufficient balance", STATS_REJ_BALANCE},
        {"insufficient fee", STATS_REJ_FEE},
        {"pending queue", STATS_REJ_BUSY},
        {"busy", STATS_REJ_BUSY},
    };

    if (name != NULL && name[0] != '\0') {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (strcmp(name, names[i].name) == 0)
                return names[i].r;
    } else {
        switch (code) {
        case 3030001:
            return STATS_REJ_DUPLICATE;
        case 4010001:
        case 4010002:
        case 4010003:
            return STATS_REJ_MISSING_SIG;
        case 4010004:
        case 4010005:
            return STATS_REJ_IRRELEVANT_SIG;
        case 4010007:
            return STATS_REJ_FEE;
        default:
            break;
        }
    }
    if (message != NULL)
        for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++)
            if (ci_contains(message, phrases[i].phrase))
                return phrases[i].r;
    return STATS_REJ_OTHER;
}
