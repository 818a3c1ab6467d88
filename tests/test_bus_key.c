/* test_bus_key.c - Curve keys: generation, key files (mode, no overwrite),
 * the errors of bus_key_load (file and line named, secret never quoted),
 * and the configuration errors of the bus (bad keys, port in use, misuse). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "bus.h"
#include "err.h"

static const char z85_alphabet[] =
    "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#";

struct fixture {
    char dir[64];
    char path[32][128];         /* files made by a test, removed in teardown */
    size_t npath;
};

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof *fx);

    if (fx == NULL)
        return -1;
    snprintf(fx->dir, sizeof fx->dir, "/tmp/test_bus_key.XXXXXX");
    if (mkdtemp(fx->dir) == NULL)
        return -1;
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;

    for (size_t i = 0; i < fx->npath; i++)
        unlink(fx->path[i]);
    rmdir(fx->dir);
    free(fx);
    return 0;
}

/* A path in the test directory, remembered for removal. */
static const char *fx_path(struct fixture *fx, const char *name)
{
    char p[sizeof fx->path[0]];

    assert_true(fx->npath < 32);
    snprintf(p, sizeof p, "%s/%s", fx->dir, name);
    memcpy(fx->path[fx->npath], p, sizeof p);
    return fx->path[fx->npath++];
}

static const char *write_file(struct fixture *fx, const char *name, mode_t mode, const char *text)
{
    const char *p = fx_path(fx, name);
    FILE *f = fopen(p, "w");

    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
    assert_int_equal(chmod(p, mode), 0);
    return p;
}

static void assert_z85_key(const char *k)
{
    assert_int_equal(strlen(k), BUS_KEY_LEN);
    assert_int_equal(strspn(k, z85_alphabet), BUS_KEY_LEN);
}

static void test_keygen(void **state)
{
    (void)state;
    char p1[BUS_KEY_LEN + 1], s1[BUS_KEY_LEN + 1], p2[BUS_KEY_LEN + 1], s2[BUS_KEY_LEN + 1];
    char err[ERR_LEN];

    assert_int_equal(bus_keygen(p1, s1, err), 0);
    assert_int_equal(bus_keygen(p2, s2, err), 0);
    assert_z85_key(p1);
    assert_z85_key(s1);
    assert_string_not_equal(p1, p2);
    assert_string_not_equal(s1, s2);
    assert_string_not_equal(p1, s1);
}

static void test_keygen_files(void **state)
{
    struct fixture *fx = *state;
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], pub2[BUS_KEY_LEN + 1];
    char sec2[BUS_KEY_LEN + 1], base[128], err[ERR_LEN];
    const char *kpath, *ppath;
    struct stat st;

    snprintf(base, sizeof base, "%s/overseer", fx->dir);
    kpath = fx_path(fx, "overseer.key");
    ppath = fx_path(fx, "overseer.pub");
    assert_int_equal(bus_keygen_files(base, err), 0);
    assert_int_equal(stat(kpath, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(stat(ppath, &st), 0);

    assert_int_equal(bus_key_load(kpath, pub, sec, err), 0);
    assert_z85_key(pub);
    assert_z85_key(sec);
    assert_int_equal(bus_key_load(ppath, pub2, NULL, err), 0);
    assert_string_equal(pub, pub2);
    /* The .key file serves a public-only reader too. */
    assert_int_equal(bus_key_load(kpath, pub2, NULL, err), 0);
    assert_string_equal(pub, pub2);
    assert_int_equal(bus_key_load(ppath, pub2, sec2, err), -1);
    assert_non_null(strstr(err, "overseer.pub: no \"secret KEY\" line"));

    /* Never overwrite, and leave the existing pair as it was. */
    assert_int_equal(bus_keygen_files(base, err), -1);
    assert_non_null(strstr(err, "overseer.key: already exists; refusing to overwrite"));
    assert_int_equal(bus_key_load(kpath, pub2, sec2, err), 0);
    assert_string_equal(pub, pub2);
    assert_string_equal(sec, sec2);

    /* Only the .pub exists: refused too, and no .key is left behind. */
    write_file(fx, "beacon.pub", 0644, "public x\n");
    snprintf(base, sizeof base, "%s/beacon", fx->dir);
    assert_int_equal(bus_keygen_files(base, err), -1);
    assert_non_null(strstr(err, "beacon.pub: already exists"));
    assert_int_equal(stat(fx_path(fx, "beacon.key"), &st), -1);

    snprintf(base, sizeof base, "%s/no/such/dir/x", fx->dir);
    assert_int_equal(bus_keygen_files(base, err), -1);
    assert_non_null(strstr(err, "No such file or directory"));
}

/* Loads text as a key file (mode 0600) and expects an error containing want. */
static void expect_load_error(struct fixture *fx, const char *name, const char *text,
                              const char *want)
{
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], err[ERR_LEN];
    const char *p = write_file(fx, name, 0600, text);

    assert_int_equal(bus_key_load(p, pub, sec, err), -1);
    if (strstr(err, want) == NULL)
        fail_msg("loading %s: got \"%s\", want \"%s\"", name, err, want);
    assert_non_null(strstr(err, name));
}

static void test_key_load_errors(void **state)
{
    struct fixture *fx = *state;
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1], pub2[BUS_KEY_LEN + 1];
    char sec2[BUS_KEY_LEN + 1], text[512], bad[BUS_KEY_LEN + 1], err[ERR_LEN];
    const char *p;

    assert_int_equal(bus_keygen(pub, sec, err), 0);
    assert_int_equal(bus_keygen(pub2, sec2, err), 0);

    expect_load_error(fx, "short.key", "public abc\n",
                      "line 1: public key: expected 40 Z85 characters, got 3");
    snprintf(text, sizeof text, "public %sA\nsecret %s\n", pub, sec);
    expect_load_error(fx, "long.key", text,
                      "line 1: public key: expected 40 Z85 characters, got more than 40");
    memcpy(bad, pub, sizeof bad);
    bad[7] = '~';
    snprintf(text, sizeof text, "# comment\n\npublic %s\nsecret %s\n", bad, sec);
    expect_load_error(fx, "alpha.key", text, "line 3: public key: character 8 is not Z85");
    /* Five '#' (84 each) overflow 32 bits: right alphabet, no key. */
    snprintf(text, sizeof text, "public %s\nsecret %.40s\n", pub,
             "########################################");
    expect_load_error(fx, "range.key", text, "line 2: secret key: not a valid Z85 key");
    expect_load_error(fx, "label.key", "pubkey abc\n",
                      "line 1: expected \"public KEY\" or \"secret KEY\"");
    snprintf(text, sizeof text, "public %s\r\npublic %s\r\n", pub, pub);
    expect_load_error(fx, "twice.key", text, "line 2: a second public key");
    snprintf(text, sizeof text, "secret %s\n", sec);
    expect_load_error(fx, "nopub.key", text, "no \"public KEY\" line");
    snprintf(text, sizeof text, "public %s\n", pub);
    expect_load_error(fx, "nosec.key", text, "no \"secret KEY\" line");

    /* A public key from another pair: named by line, the secret never quoted. */
    snprintf(text, sizeof text, "secret %s\npublic %s\n", sec, pub2);
    expect_load_error(fx, "mixed.key", text,
                      "line 2: public key does not belong to the secret key");
    p = write_file(fx, "mixed2.key", 0600, text);
    assert_int_equal(bus_key_load(p, pub2, sec2, err), -1);
    assert_null(strstr(err, sec));

    /* Readable by others: refused for the secret, fine for the public key. */
    snprintf(text, sizeof text, "public %s\nsecret %s\n", pub, sec);
    p = write_file(fx, "open.key", 0644, text);
    assert_int_equal(bus_key_load(p, pub2, sec2, err), -1);
    assert_non_null(
        strstr(err, "open.key: holds a secret key but any user can read it (mode 0644)"));
    assert_int_equal(bus_key_load(p, pub2, NULL, err), 0);
    assert_string_equal(pub, pub2);
    /* Readable by the group only (Kubernetes secrets, 0440): accepted. */
    p = write_file(fx, "group.key", 0440, text);
    assert_int_equal(bus_key_load(p, pub2, sec2, err), 0);

    /* A good file with comments, blank lines, CRLF and trailing blanks. */
    snprintf(text, sizeof text, "# made by hand\r\n\r\npublic %s  \r\nsecret\t%s\r\n", pub, sec);
    p = write_file(fx, "good.key", 0600, text);
    assert_int_equal(bus_key_load(p, pub2, sec2, err), 0);
    assert_string_equal(pub, pub2);
    assert_string_equal(sec, sec2);

    memset(text, '#', sizeof text - 1);
    text[sizeof text - 1] = '\0';
    p = fx_path(fx, "big.key");
    {
        FILE *f = fopen(p, "w");
        assert_non_null(f);
        for (int i = 0; i < 10; i++)
            fputs(text, f);
        fclose(f);
        chmod(p, 0600);
    }
    assert_int_equal(bus_key_load(p, pub2, sec2, err), -1);
    assert_non_null(strstr(err, "larger than 4095 bytes"));

    assert_int_equal(bus_key_load(fx->dir, pub2, NULL, err), -1);
    assert_non_null(strstr(err, "not a regular file"));
    assert_int_equal(bus_key_load("/nonexistent/x.key", pub2, sec2, err), -1);
    assert_string_equal(err, "/nonexistent/x.key: No such file or directory");
}

struct kp {
    char pub[BUS_KEY_LEN + 1], sec[BUS_KEY_LEN + 1];
};

static void kp_new(struct kp *k)
{
    char err[ERR_LEN];

    assert_int_equal(bus_keygen(k->pub, k->sec, err), 0);
}

static void endpoint_of(const struct bus *b, char ep[256])
{
    char err[ERR_LEN];

    assert_int_equal(bus_endpoint(b, ep, 256, err), 0);
    assert_null(strstr(ep, ":*"));
}

static void test_bad_config(void **state)
{
    (void)state;
    struct kp s, c, o;
    struct bus_server_config scfg;
    struct bus_client_config ccfg;
    char ep[256], err[ERR_LEN], small[8];
    struct bus *srv, *b2;
    uint8_t *buf;
    size_t len;

    kp_new(&s);
    kp_new(&c);
    kp_new(&o);
    const char *allow[] = {c.pub, "tooshort"};

    scfg = (struct bus_server_config){"tcp://127.0.0.1:*", false, s.pub, o.sec, allow, 1};
    assert_null(bus_server_new(&scfg, err));
    assert_string_equal(err, "server public key does not belong to its secret key");
    scfg = (struct bus_server_config){"tcp://127.0.0.1:*", false, s.pub, s.sec, allow, 2};
    assert_null(bus_server_new(&scfg, err));
    assert_string_equal(err, "allowed key 2: expected 40 Z85 characters, got 8");
    scfg = (struct bus_server_config){"tcp://127.0.0.1:*", false, s.pub, NULL, allow, 1};
    assert_null(bus_server_new(&scfg, err));
    assert_string_equal(err, "server secret key: missing");
    scfg = (struct bus_server_config){"", false, s.pub, s.sec, allow, 1};
    assert_null(bus_server_new(&scfg, err));
    assert_string_equal(err, "no endpoint given");
    scfg = (struct bus_server_config){"tcp://127.0.0.1:notaport", false, s.pub, s.sec, allow, 1};
    assert_null(bus_server_new(&scfg, err));
    assert_non_null(strstr(err, "tcp://127.0.0.1:notaport: "));

    /* The port taken: the second server says so. */
    scfg = (struct bus_server_config){"tcp://127.0.0.1:*", false, s.pub, s.sec, allow, 1};
    srv = bus_server_new(&scfg, err);
    assert_non_null(srv);
    endpoint_of(srv, ep);
    scfg.endpoint = ep;
    assert_null(bus_server_new(&scfg, err));
    assert_non_null(strstr(err, "Address already in use"));
    assert_int_equal(strncmp(err, ep, strlen(ep)), 0);
    assert_int_equal(bus_endpoint(srv, small, sizeof small, err), -1);

    ccfg = (struct bus_client_config){ep, false, NULL, c.pub, c.sec};
    assert_null(bus_client_new(&ccfg, err));
    assert_string_equal(err, "server key: missing");
    ccfg = (struct bus_client_config){ep, false, s.pub, c.pub, s.sec};
    assert_null(bus_client_new(&ccfg, err));
    assert_string_equal(err, "client public key does not belong to its secret key");
    ccfg = (struct bus_client_config){"tcp://", false, s.pub, c.pub, c.sec};
    assert_null(bus_client_new(&ccfg, err));
    assert_non_null(strstr(err, "tcp://: "));

    /* Misuse of send, and a receive that times out. */
    ccfg = (struct bus_client_config){ep, false, s.pub, c.pub, c.sec};
    b2 = bus_client_new(&ccfg, err);
    assert_non_null(b2);
    assert_int_equal(bus_send(srv, NULL, "x", 1, err), -1);
    assert_string_equal(err, "no destination peer given");
    assert_int_equal(bus_send(b2, &(struct bus_peer){.id_len = 1}, "x", 1, err), -1);
    assert_int_equal(bus_recv(srv, NULL, &buf, &len, 30, err), 0);
    assert_int_equal(bus_recv(srv, NULL, &buf, &len, 0, err), 0);
    bus_free(b2);
    bus_free(srv);
    bus_free(NULL);
    assert_int_equal(bus_event(NULL, err, sizeof err), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keygen),
        cmocka_unit_test_setup_teardown(test_keygen_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_key_load_errors, setup, teardown),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
