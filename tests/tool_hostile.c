/* tool_hostile.c - a hostile "beacon" for the overseer's robustness test:
 * dials an overseer (insecure, loopback) and sends junk, truncated msgpack,
 * hostile declared sizes, wrong types, an unknown type and a future major
 * version, then a valid HELLO; exits 0 if the overseer still answers with
 * WELCOME. Usage: tool_hostile tcp://127.0.0.1:PORT */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus.h"
#include "err.h"
#include "proto.h"
#include "timefmt.h"

int main(int argc, char **argv)
{
    static const uint8_t junk[][16] = {
        {0xff, 0xfe, 0x00, 0x13},                         /* not msgpack at all */
        {0x82, 0xa1, 0x76},                               /* truncated map */
        {0xdd, 0x7f, 0xff, 0xff, 0xff},                   /* array of 2^31 elements */
        {0xdf, 0xff, 0xff, 0xff, 0xff, 0xc0},             /* map of 2^32-1 pairs */
        {0xdb, 0xff, 0xff, 0xff, 0xf0, 'x'},              /* str of 4 GB */
        {0x92, 0x01, 0x02},                               /* an array, not a map */
        {0x82, 0xa1, 't', 0xa3, 'z', 'z', 'z', 0xa1, 'v', 0x92, 0x01, 0x00}, /* unknown type */
        {0x82, 0xa1, 't', 0xa5, 'h', 'e', 'l', 'l', 'o', 0xa1, 'v', 0x92, 0x09, 0x00}, /* v9.0 */
        {0x82, 0xa1, 't', 0x07, 0xa1, 'v', 0xa3, 'a', 'b', 'c'},                     /* wrong types */
    };
    static const size_t lens[] = {4, 3, 5, 6, 6, 3, 12, 14, 10};
    struct bus_client_config cc = {.insecure = true};
    struct proto_msg *m = malloc(sizeof *m);
    struct bus *b;
    char err[ERR_LEN];
    uint8_t *buf;
    size_t len;
    uint64_t deadline;

    if (argc != 2 || m == NULL)
        return 2;
    cc.endpoint = argv[1];
    b = bus_client_new(&cc, err);
    if (b == NULL) {
        fprintf(stderr, "tool_hostile: %s\n", err);
        return 2;
    }
    /* Connecting is asynchronous: keep sending until the first frames go. */
    deadline = timefmt_mono_ns() + 5000000000u;
    while (bus_send(b, NULL, junk[0], lens[0], NULL) != 0 && timefmt_mono_ns() < deadline)
        bus_recv(b, NULL, &buf, &len, 50, NULL) == 1 ? free(buf) : (void)0;
    for (int round = 0; round < 50; round++)
        for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++)
            bus_send(b, NULL, junk[i], lens[i], NULL);
    for (int i = 0; i < 200; i++) { /* random bytes */
        uint8_t r[64];
        for (size_t k = 0; k < sizeof r; k++)
            r[k] = (uint8_t)rand();
        bus_send(b, NULL, r, (size_t)(1 + rand() % 64), NULL);
    }
    proto_init(m, PROTO_HELLO);
    snprintf(m->u.hello.beacon_id, sizeof m->u.hello.beacon_id, "hostile");
    snprintf(m->u.hello.version, sizeof m->u.hello.version, "0");
    snprintf(m->u.hello.host, sizeof m->u.hello.host, "nowhere");
    if (proto_encode(m, &buf, &len, err) < 0 || bus_send(b, NULL, buf, len, err) != 0) {
        fprintf(stderr, "tool_hostile: cannot send HELLO\n");
        return 1;
    }
    free(buf);
    deadline = timefmt_mono_ns() + 5000000000u;
    while (timefmt_mono_ns() < deadline) {
        if (bus_recv(b, NULL, &buf, &len, 100, err) != 1)
            continue;
        int d = proto_decode(m, buf, len, err);
        free(buf);
        if (d == 0 && m->type == PROTO_WELCOME) {
            printf("tool_hostile: the overseer still answers (WELCOME to run %s)\n",
                   m->u.welcome.run_id);
            proto_free(m);
            bus_free(b);
            free(m);
            return 0;
        }
        proto_free(m);
    }
    fprintf(stderr, "tool_hostile: no WELCOME after the junk\n");
    bus_free(b);
    free(m);
    return 1;
}
