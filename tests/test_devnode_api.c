/* test_devnode_api.c - devnode over loopback: every API call answers in
 * the node's shapes; bad requests get the right error replies; frames
 * over 32 MB are closed with 1009; clients that vanish mid-request do not
 * hurt the server; the same JSON works over HTTP POST; the process exits
 * cleanly (and, under ASan, without leaks). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "err.h"
#include "hex.h"
#include "sbuf.h"
#include "test_devnode_util.h"
#include "testutil.h"

static struct dn D;
static struct wstc *C;

static int setup(void **state)
{
    const char *args[] = {"--block-interval", "0.2", NULL};

    (void)state;
    dn_start(&D, args);
    C = dn_client(&D);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    wstc_free(C);
    assert_int_equal(dn_stop(&D), 0);
    return 0;
}

/* Calls and returns the result's JSON (fails on an error reply). */
static struct jv *ok(const char *req)
{
    struct jv *r = dn_call(C, req);

    dn_result(r);
    return r;
}

static void expect_code(const char *req, int64_t code, const char *text)
{
    struct jv *r = dn_call(C, req);

    assert_int_equal(dn_error_code(r), code);
    if (text != NULL && strstr(dn_error_message(r), text) == NULL)
        fail_msg("\"%s\" lacks \"%s\"", dn_error_message(r), text);
    jv_free(r);
}

static int64_t int_of(const struct jv *v)
{
    int64_t n;

    if (jv_int64(v, INT64_MIN, INT64_MAX, &n, NULL) < 0)
        fail_msg("not an integer: %s", jv_type_name(v));
    return n;
}

static void test_login_and_api_ids(void **state)
{
    struct jv *r;

    (void)state;
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[1,\"login\",[\"u\",\"p\"]]}");
    assert_int_equal(jv_type(dn_result(r)), JV_TRUE);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[1,\"login\",[]]}");
    assert_int_equal(int_of(dn_result(r)), 1);
    jv_free(r);
    r = ok("{\"id\":2,\"method\":\"call\",\"params\":[1,\"database\",[]]}");
    assert_int_equal(int_of(dn_result(r)), 0);
    jv_free(r);
    /* Not registered yet on this connection. */
    expect_code("{\"id\":3,\"method\":\"call\",\"params\":[2,\"broadcast_transaction\",[{}]]}",
                10, "_local_apis.size() > api_id");
    for (int i = 0; i < 2; i++) {
        r = ok("{\"id\":4,\"method\":\"call\",\"params\":[1,\"network_broadcast\",[]]}");
        assert_int_equal(int_of(dn_result(r)), 2);
        jv_free(r);
    }
    expect_code("{\"id\":5,\"method\":\"call\",\"params\":[1,\"history\",[]]}", 10,
                "does not implement the history api");
    expect_code("{\"id\":6,\"method\":\"call\",\"params\":[1,\"nonsense\",[]]}", -32601,
                "no method with name 'nonsense'");
    expect_code("{\"id\":7,\"method\":\"call\",\"params\":[7,\"get_chain_id\",[]]}", 10,
                "_local_apis.size() > api_id");
}

static void test_chain_id_and_properties(void **state)
{
    struct jv *r, *r2;
    const struct jv *p, *params;
    const char *idhex;
    uint8_t id[20];

    (void)state;
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[\"database\",\"get_chain_id\",[]]}");
    r2 = ok("{\"id\":1,\"jsonrpc\":\"2.0\",\"method\":\"get_chain_id\",\"params\":[]}");
    assert_int_equal(strlen(jv_str(dn_result(r), NULL)), 64);
    assert_string_equal(jv_str(dn_result(r), NULL), jv_str(dn_result(r2), NULL));
    assert_null(jv_get(r, "jsonrpc"));
    assert_string_equal(jv_str(jv_get(r2, "jsonrpc"), NULL), "2.0");
    jv_free(r);
    jv_free(r2);

    r = ok("{\"id\":\"abc\",\"method\":\"call\","
           "\"params\":[0,\"get_dynamic_global_properties\",[]]}");
    assert_string_equal(jv_str(jv_get(r, "id"), NULL), "abc");
    p = dn_result(r);
    assert_string_equal(jv_str(jv_get(p, "id"), NULL), "2.1.0");
    idhex = jv_str(jv_get(p, "head_block_id"), NULL);
    assert_int_equal(hex_decode_exact(id, 20, idhex, strlen(idhex), NULL), 0);
    assert_int_equal(tx_block_num(id), int_of(jv_get(p, "head_block_number")));
    assert_int_equal(int_of(jv_get(p, "last_irreversible_block_num")),
                     int_of(jv_get(p, "head_block_number")));
    assert_non_null(jv_str(jv_get(p, "time"), NULL));
    assert_non_null(jv_str(jv_get(p, "recent_slots_filled"), NULL));
    jv_free(r);

    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_global_properties\",[]]}");
    params = jv_get(dn_result(r), "parameters");
    assert_int_equal(int_of(jv_get(params, "maximum_transaction_size")), 2048);
    assert_int_equal(int_of(jv_get(params, "maximum_block_size")), 2000000);
    assert_int_equal(int_of(jv_get(params, "maximum_time_until_expiration")), 86400);
    assert_int_equal(int_of(jv_get(params, "block_interval")), 1);
    assert_int_equal(jv_len(jv_get(jv_get(params, "current_fees"), "parameters")), 2);
    /* Large integers arrive as strings, as fc prints them. */
    assert_string_equal(jv_str(jv_get(params, "worker_budget_per_day"), NULL), "50000000000");
    jv_free(r);
}

static void test_accounts_and_assets(void **state)
{
    struct jv *r;
    const struct jv *list, *a;
    size_t len;

    (void)state;
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"lookup_account_names\","
           "[[\"alice\",\"nobody\",\"bob\"]]]}");
    list = dn_result(r);
    assert_int_equal(jv_len(list), 3);
    a = jv_at(list, 0);
    assert_string_equal(jv_str(jv_get(a, "id"), NULL), "1.2.1000");
    assert_string_equal(jv_str(jv_get(a, "name"), NULL), "alice");
    assert_int_equal(jv_type(jv_at(list, 1)), JV_NULL);
    assert_string_equal(jv_str(jv_get(jv_at(list, 2), "id"), NULL), "1.2.1001");
    {
        const struct jv *ka = jv_at(jv_get(jv_get(a, "active"), "key_auths"), 0);
        const char *key = jv_str(jv_at(ka, 0), &len);
        assert_non_null(key);
        assert_memory_equal(key, "TEST", 4);
    }
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_account_by_name\",[\"carol\"]]}");
    assert_string_equal(jv_str(jv_get(dn_result(r), "id"), NULL), "1.2.1002");
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_account_by_name\",[\"zed\"]]}");
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_accounts\",[[\"1.2.1003\"]]]}");
    assert_string_equal(jv_str(jv_get(jv_at(dn_result(r), 0), "name"), NULL), "dave");
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"lookup_asset_symbols\","
           "[[\"TEST\",\"USD\",\"NOPE\"]]]}");
    list = dn_result(r);
    assert_string_equal(jv_str(jv_get(jv_at(list, 1), "id"), NULL), "1.3.1");
    assert_int_equal(int_of(jv_get(jv_at(list, 1), "precision")), 4);
    assert_int_equal(jv_type(jv_at(list, 2)), JV_NULL);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_account_balances\","
           "[\"heidi\",[]]]}");
    assert_int_equal(jv_len(dn_result(r)), 2);
    jv_free(r);
}

static void test_fees(void **state)
{
    struct jv *r;
    const struct jv *list;

    (void)state;
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_required_fees\",[[[0,{\"from\":"
           "\"1.2.1000\"}],[1,{}],[0,{\"memo\":{\"message\":\"00112233\"}}]],\"1.3.0\"]]}");
    list = dn_result(r);
    assert_int_equal(jv_len(list), 3);
    assert_int_equal(int_of(jv_get(jv_at(list, 0), "amount")), 2000000);
    assert_int_equal(int_of(jv_get(jv_at(list, 1), "amount")), 500000);
    /* memo: 33 + 33 + 8 + 1 + 4 = 79 bytes at 1000000 per KiB */
    assert_int_equal(int_of(jv_get(jv_at(list, 2), "amount")), 2000000 + 79 * 1000000 / 1024);
    assert_string_equal(jv_str(jv_get(jv_at(list, 0), "asset_id"), NULL), "1.3.0");
    jv_free(r);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_required_fees\","
                "[[[7,{}]],\"1.3.0\"]]}",
                10, "devnode knows operations 0");
}

static void test_blocks(void **state)
{
    struct jv *r, *r2;
    const struct jv *b;
    uint8_t id[20];
    const char *prev;

    (void)state;
    usleep(500000); /* a few blocks */
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[1]]}");
    b = dn_result(r);
    assert_string_equal(jv_str(jv_get(b, "previous"), NULL),
                        "0000000000000000000000000000000000000000");
    assert_string_equal(jv_str(jv_get(b, "witness"), NULL), "1.6.1");
    assert_int_equal(strlen(jv_str(jv_get(b, "witness_signature"), NULL)), 130);
    assert_int_equal(jv_type(jv_get(b, "transactions")), JV_ARRAY);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block_header\",[2]]}");
    b = dn_result(r);
    assert_null(jv_get(b, "witness_signature"));
    assert_null(jv_get(b, "transactions"));
    prev = jv_str(jv_get(b, "previous"), NULL);
    assert_int_equal(hex_decode_exact(id, 20, prev, strlen(prev), NULL), 0);
    assert_int_equal(tx_block_num(id), 1);
    r2 = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[2]]}");
    assert_string_equal(jv_str(jv_get(dn_result(r2), "previous"), NULL), prev);
    jv_free(r2);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[4000000000]]}");
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
    r = ok("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[0]]}");
    assert_int_equal(jv_type(dn_result(r)), JV_NULL);
    jv_free(r);
}

static void test_transaction_hex(void **state)
{
    size_t len;
    char *tx = tu_read_file(tu_vector_path("transfer.signed.json"), &len);
    char *hex = tu_read_file(tu_vector_path("transfer.signed.hex"), NULL);
    struct sbuf req;
    struct jv *r;

    (void)state;
    while (len > 0 && (tx[len - 1] == '\n' || tx[len - 1] == ' '))
        tx[--len] = '\0';
    for (size_t n = strlen(hex); n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == ' ');)
        hex[--n] = '\0';
    sbuf_init(&req);
    sbuf_addf(&req, "{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_transaction_hex\",[%s]]}",
              tx);
    r = ok(req.buf);
    assert_string_equal(jv_str(dn_result(r), NULL), hex);
    jv_free(r);
    sbuf_free(&req);
    free(tx);
    free(hex);
}

static void test_bad_requests(void **state)
{
    struct sbuf deep;
    struct jv *r;

    (void)state;
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"no_such_method\",[]]}", -32601,
                "no method with name 'no_such_method'");
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[\"x\"]]}", 7,
                "Bad Cast");
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[-1]]}", 7, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_account_by_name\",[]]}", 10,
                "too few arguments");
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\"]}", 10,
                "args.size() == 3");
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[1],4]}", 10, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[{},\"get_block\",[1]]}", 7, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,5,[1]]}", 7, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"lookup_account_names\",[5]]}", 7,
                NULL);
    /* Protocol errors: no usable id. */
    expect_code("{\"id\":1,\"method\":", -32700, "Parse error");
    expect_code("not json at all", -32700, "Parse error");
    expect_code("[{\"id\":1,\"method\":\"get_chain_id\",\"params\":[]}]", -32600, "batch");
    expect_code("{\"id\":1}", -32600, NULL);
    expect_code("{\"id\":{},\"method\":\"get_chain_id\",\"params\":[]}", -32600, NULL);
    expect_code("{\"id\":1,\"method\":\"get_chain_id\",\"params\":5}", -32602, NULL);
    expect_code("{\"id\":123456789012345678901234567890,\"method\":\"x\"}", -32700, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[1e999]]}", -32700,
                NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[0,\"get_block\",[1.5]]}", 7, NULL);
    expect_code("{\"id\":1,\"method\":\"call\",\"params\":[2,\"x\",[]],\"a\":\"\\u0000\"}",
                -32700, NULL);
    sbuf_init(&deep);
    sbuf_adds(&deep, "{\"id\":1,\"method\":\"get_chain_id\",\"params\":[");
    for (int i = 0; i < 300; i++)
        sbuf_addc(&deep, '[');
    for (int i = 0; i < 300; i++)
        sbuf_addc(&deep, ']');
    sbuf_adds(&deep, "]}");
    expect_code(deep.buf, -32700, "nesting");
    sbuf_free(&deep);
    /* A notification (no id) gets no reply; the next call is answered. */
    {
        const char *note = "{\"method\":\"get_chain_id\",\"params\":[]}";
        assert_int_equal(wstc_send(C, note, strlen(note), 2000), 0);
    }
    r = ok("{\"id\":42,\"method\":\"get_chain_id\",\"params\":[]}");
    assert_int_equal(int_of(jv_get(r, "id")), 42);
    jv_free(r);
}

static void test_frame_too_big(void **state)
{
    size_t n = 32000001;
    char *big = malloc(n);
    struct wstc *c = dn_client(&D);

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    (void)wstc_send(c, big, n, 10000);
    assert_true(wstc_wait_closed(c, 10000));
    assert_int_equal(wstc_close_code(c), 1009);
    wstc_free(c);
    free(big);
    /* The server is fine. */
    jv_free(ok("{\"id\":1,\"method\":\"get_chain_id\",\"params\":[]}"));
}

static int tcp_connect(int port)
{
    struct sockaddr_in a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    assert_true(fd >= 0);
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

static void test_vanishing_clients(void **state)
{
    static const char handshake[] = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                                    "Connection: Upgrade\r\n"
                                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                    "Sec-WebSocket-Version: 13\r\n\r\n";
    /* A masked text frame header announcing 1000 bytes, then only 3. */
    static const unsigned char partial[] = {0x81, 0xFE, 0x03, 0xE8, 1, 2, 3, 4, 'a', 'b', 'c'};

    (void)state;
    for (int i = 0; i < 20; i++) {
        int fd = tcp_connect(D.port);
        if (i % 2 == 0)
            assert_true(write(fd, handshake, sizeof handshake - 1) > 0);
        if (i % 4 == 0) {
            usleep(20000);
            assert_true(write(fd, partial, sizeof partial) > 0);
        }
        if (i % 3 == 0)
            assert_true(write(fd, "POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n{\"id\"", 46) >
                        0);
        close(fd);
    }
    /* A websocket client that asks for notices and a slow reply, then
     * leaves before they are sent. */
    for (int i = 0; i < 5; i++) {
        struct wstc *c = dn_client(&D);
        const char *sub = "{\"id\":1,\"method\":\"call\",\"params\":[0,"
                          "\"set_block_applied_callback\",[3]]}";
        assert_int_equal(wstc_send(c, sub, strlen(sub), 2000), 0);
        wstc_free(c);
    }
    usleep(500000); /* blocks with notices for the departed */
    jv_free(ok("{\"id\":1,\"method\":\"get_chain_id\",\"params\":[]}"));
}

/* POSTs body and returns the whole response (static buffer). */
static const char *http_post(const char *body)
{
    static char resp[8192];
    char req[1024];
    size_t got = 0;
    ssize_t n;
    int fd = tcp_connect(D.port);

    snprintf(req, sizeof req,
             "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
             strlen(body), body);
    assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
    while (got < sizeof resp - 1 && (n = read(fd, resp + got, sizeof resp - 1 - got)) > 0)
        got += (size_t)n;
    resp[got] = '\0';
    close(fd);
    return resp;
}

static void test_http_post(void **state)
{
    const char *resp;

    (void)state;
    resp = http_post("{\"id\":9,\"method\":\"call\",\"params\":[0,\"get_chain_id\",[]]}");
    assert_non_null(strstr(resp, "200"));
    assert_non_null(strstr(resp, "{\"id\":9,\"result\":\""));
    /* Nothing can reach an HTTP client later: no synchronous broadcast. */
    resp = http_post("{\"id\":3,\"method\":\"call\",\"params\":[\"network_broadcast\","
                     "\"broadcast_transaction_synchronous\",[{}]]}");
    assert_non_null(strstr(resp, "on websockets only"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_login_and_api_ids),
        cmocka_unit_test(test_chain_id_and_properties),
        cmocka_unit_test(test_accounts_and_assets),
        cmocka_unit_test(test_fees),
        cmocka_unit_test(test_blocks),
        cmocka_unit_test(test_transaction_hex),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_frame_too_big),
        cmocka_unit_test(test_vanishing_clients),
        cmocka_unit_test(test_http_post),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
