/* test_devnode_util.c - see test_devnode_util.h. */
#include "test_devnode_util.h"

#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "hash.h"
#include "hex.h"
#include "sbuf.h"
#include "timefmt.h"
#include "txjson.h"

void dn_start(struct dn *d, const char *const *args)
{
    const char *bin = getenv("DEVNODE_BIN"), *genesis = getenv("DEVNODE_GENESIS");
    const char *argv[64];
    int pipefd[2], n = 0;
    char line[512];
    FILE *out;
    uint64_t deadline = timefmt_mono_ns() + 5000000000u;

    if (bin == NULL || genesis == NULL)
        fail_msg("DEVNODE_BIN and DEVNODE_GENESIS must be set (meson sets them)");
    argv[n++] = bin;
    argv[n++] = "--listen";
    argv[n++] = "127.0.0.1:0";
    argv[n++] = "--quiet";
    argv[n++] = "--genesis";
    argv[n++] = genesis;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    assert_int_equal(pipe(pipefd), 0);
    d->pid = fork();
    assert_true(d->pid >= 0);
    if (d->pid == 0) {
        /* Never outlive the test, whatever happens to it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(pipefd[1], 1);
        close(pipefd[0]);
        close(pipefd[1]);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(pipefd[1]);
    out = fdopen(pipefd[0], "r");
    assert_non_null(out);
    d->port = 0;
    while (d->port == 0 && timefmt_mono_ns() < deadline && fgets(line, sizeof line, out) != NULL)
        sscanf(line, "listening on ws://127.0.0.1:%d", &d->port);
    /* The rest of its stdout (stats) is not read: close our end so that
     * writes fail instead of blocking. Tests use --quiet. */
    fclose(out);
    if (d->port == 0) {
        dn_stop(d);
        fail_msg("devnode did not start");
    }
}

int dn_stop(struct dn *d)
{
    int status = 0;
    uint64_t deadline = timefmt_mono_ns() + 5000000000u;

    if (d->pid <= 0)
        return -1;
    kill(d->pid, SIGTERM);
    while (timefmt_mono_ns() < deadline) {
        pid_t r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid) {
            d->pid = 0;
            return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
        }
        usleep(10000);
    }
    kill(d->pid, SIGKILL);
    waitpid(d->pid, &status, 0);
    d->pid = 0;
    return -1;
}

struct wstc *dn_client(const struct dn *d)
{
    char err[256];
    struct wstc *c = wstc_connect(d->port, 3000, err);

    if (c == NULL)
        fail_msg("%s", err);
    return c;
}

struct jv *dn_call(struct wstc *c, const char *request)
{
    char err[ERR_LEN];
    char *text = wstc_call(c, request, 5000);
    struct jv *v;

    if (text == NULL)
        fail_msg("no reply to %.200s", request);
    v = jv_parse(text, strlen(text), JV_MAX_DEPTH, err);
    if (v == NULL)
        fail_msg("bad reply JSON (%s): %.300s", err, text);
    free(text);
    return v;
}

const struct jv *dn_result(const struct jv *reply)
{
    const struct jv *r = jv_get(reply, "result");

    if (jv_get(reply, "error") != NULL)
        fail_msg("unexpected error: %s", dn_error_message(reply));
    if (r == NULL)
        fail_msg("reply without result");
    return r;
}

int64_t dn_error_code(const struct jv *reply)
{
    int64_t code;

    if (jv_int64(jv_get(jv_get(reply, "error"), "code"), INT64_MIN, INT64_MAX, &code, NULL) < 0)
        fail_msg("reply has no error.code");
    return code;
}

const char *dn_error_name(const struct jv *reply)
{
    const char *s = jv_str(jv_get(jv_get(jv_get(reply, "error"), "data"), "name"), NULL);

    return s != NULL ? s : "";
}

const char *dn_error_message(const struct jv *reply)
{
    const char *s = jv_str(jv_get(jv_get(reply, "error"), "message"), NULL);

    return s != NULL ? s : "";
}

struct sign_key *dn_test_key(const struct sign_ctx *ctx, int n)
{
    char in[32], err[ERR_LEN];
    uint8_t secret[32];
    struct sign_key *k;

    snprintf(in, sizeof in, "bss-devnode/%d", n);
    hash_sha256(secret, in, strlen(in));
    k = sign_key_from_secret(ctx, secret, err);
    if (k == NULL)
        fail_msg("%s", err);
    return k;
}

void dn_head(struct wstc *c, uint8_t id[TX_BLOCK_ID_LEN], uint32_t *time, uint32_t *num)
{
    struct jv *r = dn_call(c, "{\"id\":1,\"method\":\"call\","
                              "\"params\":[0,\"get_dynamic_global_properties\",[]]}");
    const struct jv *p = dn_result(r);
    size_t len;
    const char *hex = jv_str(jv_get(p, "head_block_id"), &len);
    const char *t = jv_str(jv_get(p, "time"), &len);
    int64_t n;

    if (hex == NULL)
        fail_msg("get_dynamic_global_properties: no head_block_id");
    assert_int_equal(hex_decode_exact(id, TX_BLOCK_ID_LEN, hex, strlen(hex), NULL), 0);
    assert_non_null(t);
    if (time != NULL)
        assert_int_equal(timefmt_parse(time, t, strlen(t), NULL), 0);
    assert_int_equal(jv_int64(jv_get(p, "head_block_number"), 0, UINT32_MAX, &n, NULL), 0);
    if (num != NULL)
        *num = (uint32_t)n;
    jv_free(r);
}

void dn_chain_id(struct wstc *c, uint8_t chain_id[32])
{
    struct jv *r = dn_call(c, "{\"id\":1,\"method\":\"get_chain_id\",\"params\":[]}");
    const char *hex = jv_str(dn_result(r), NULL);

    assert_non_null(hex);
    assert_int_equal(hex_decode_exact(chain_id, 32, hex, strlen(hex), NULL), 0);
    jv_free(r);
}

void dn_transfer(struct tx *tx, const uint8_t head_id[TX_BLOCK_ID_LEN], uint32_t expiration,
                 uint64_t from, uint64_t to, int64_t amount, int64_t fee)
{
    struct tx_op *op;

    tx_reset(tx);
    tx_set_tapos(tx, head_id);
    tx->expiration = expiration;
    op = tx_add_op(tx, NULL);
    assert_non_null(op);
    op->type = TX_OP_TRANSFER;
    op->u.transfer.fee.amount = fee;
    op->u.transfer.fee.asset_id = 0;
    op->u.transfer.from = from;
    op->u.transfer.to = to;
    op->u.transfer.amount.amount = amount;
    op->u.transfer.amount.asset_id = 0;
}

void dn_sign(struct tx *tx, const struct sign_ctx *ctx, const struct sign_key *key,
             const uint8_t chain_id[32])
{
    size_t cap = tx_packed_size(tx, false);
    uint8_t *buf = malloc(cap), digest[32], sig[SIGN_SIG_LEN];
    char err[ERR_LEN];
    long n;

    assert_non_null(buf);
    n = tx_pack(tx, false, buf, cap, err);
    if (n < 0)
        fail_msg("%s", err);
    tx_digest(digest, chain_id, buf, (size_t)n);
    free(buf);
    assert_int_equal(sign_compact_fc(ctx, key, digest, sig, NULL, err), 0);
    assert_int_equal(tx_add_sig(tx, sig, err), 0);
}

char *dn_broadcast_request(const struct tx *tx, int64_t id, int api, const char *method,
                           int64_t cb)
{
    struct sbuf s;

    sbuf_init(&s);
    sbuf_addf(&s, "{\"id\":%lld,\"method\":\"call\",\"params\":[%d,\"%s\",[", (long long)id, api,
              method);
    if (cb >= 0)
        sbuf_addf(&s, "%lld,", (long long)cb);
    txjson_render(&s, tx, true, "TEST");
    sbuf_adds(&s, "]]}");
    assert_false(s.overflow);
    return s.buf;
}

int64_t dn_balance(struct wstc *c, uint64_t account, uint64_t asset)
{
    char req[256];
    struct jv *r;
    const struct jv *list;
    int64_t amount;

    snprintf(req, sizeof req,
             "{\"id\":7,\"method\":\"call\",\"params\":[0,\"get_account_balances\","
             "[\"1.2.%llu\",[\"1.3.%llu\"]]]}",
             (unsigned long long)account, (unsigned long long)asset);
    r = dn_call(c, req);
    list = dn_result(r);
    assert_int_equal(jv_len(list), 1);
    assert_int_equal(jv_int64(jv_get(jv_at(list, 0), "amount"), INT64_MIN, INT64_MAX, &amount,
                              NULL),
                     0);
    jv_free(r);
    return amount;
}
