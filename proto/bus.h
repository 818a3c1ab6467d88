/* bus.h - the transport between beacons and the overseer: ZeroMQ (this is
 * the only module that includes it), ROUTER on the overseer (binds),
 * DEALER on each beacon (dials out, so beacons behind NAT work and open no
 * port). CurveZMQ by default: the beacon pins the overseer's public key;
 * the overseer accepts only beacons whose public keys are in its allowlist
 * (a ZAP handler), and says so for every refusal. Plain TCP only with
 * insecure = true, and then only for loopback endpoints.
 *
 * Frames are opaque bytes here (proto/ encodes them). Use a bus from one
 * thread. No logging: refusals and connection events are queued and read
 * with bus_event. */
#ifndef BSS_BUS_H
#define BSS_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_KEY_LEN 40          /* Z85 text of a 32-byte Curve key */
#define BUS_PEER_MAX 256        /* routing id bytes */
#define BUS_MAX_FRAME (64u << 20)

struct bus;

/* A sender as the overseer sees it. */
struct bus_peer {
    uint8_t id[BUS_PEER_MAX];   /* ZeroMQ routing id */
    size_t id_len;
    char key[BUS_KEY_LEN + 1];  /* the beacon's Curve public key (Z85), "" when insecure */
    char addr[64];              /* peer IP address ("10.0.0.7"; other text on ipc), else "" */
};

/* Generates a Curve keypair (Z85, NUL-terminated). Returns 0 or -1 with err. */
int bus_keygen(char public_key[BUS_KEY_LEN + 1], char secret_key[BUS_KEY_LEN + 1], char *err);

/* Writes a new keypair to PATH.key (mode 0600: "public Z85\nsecret Z85\n",
 * i.e. the words public/secret, a space, the key) and PATH.pub ("public
 * Z85\n"). Refuses to overwrite either file (nothing is written then).
 * Returns 0 or -1 with err. */
int bus_keygen_files(const char *path, char *err);
/* Reads PATH (.key: both keys; .pub: public only, secret_key may be NULL).
 * Blank lines and lines starting with '#' are ignored. When secret_key is
 * given, the file must hold both keys, they must belong together, and it
 * must not be readable by others (group is allowed: Kubernetes mounts secrets 0440). Keys are checked
 * (40 characters of the Z85 alphabet). Returns 0 or -1 with err naming the
 * file and line; the secret is never quoted. */
int bus_key_load(const char *path, char public_key[BUS_KEY_LEN + 1],
                 char secret_key[BUS_KEY_LEN + 1], char *err);

struct bus_server_config {
    const char *endpoint;           /* e.g. "tcp://0.0.0.0:7100" (or ZeroMQ's star wildcard) */
    bool insecure;                  /* plain TCP: endpoint must be loopback */
    const char *public_key;         /* server keypair (Z85) unless insecure */
    const char *secret_key;
    const char *const *allow;       /* allowed beacon public keys (Z85) */
    size_t nallow;
};

/* Binds the overseer's socket (ROUTER; a port of '*' picks a free one,
 * see bus_endpoint). Secure: CURVE server with the given keypair; a beacon
 * gets in only when its public key is in allow (an empty allowlist admits
 * nobody), and every admission or refusal becomes an event. insecure: the
 * endpoint must be tcp://127.x.x.x:PORT, tcp://localhost:PORT,
 * tcp://[::1]:PORT or ipc://PATH (ZeroMQ binds no host names, so a server
 * needs 127.0.0.1 rather than localhost). inproc endpoints are refused
 * (each bus has its own ZeroMQ context). Returns NULL with err
 * ("<endpoint>: Address already in use", "<endpoint>: --insecure is only
 * allowed on loopback ..."). */
struct bus *bus_server_new(const struct bus_server_config *cfg, char *err);

struct bus_client_config {
    const char *endpoint;           /* e.g. "tcp://10.0.0.5:7100" */
    bool insecure;
    const char *server_key;         /* the overseer's public key (pinned) */
    const char *public_key;         /* this beacon's keypair */
    const char *secret_key;
};

/* Connects (asynchronously; ZeroMQ reconnects by itself, retrying after
 * 100 ms and backing off to 2 s). Same endpoint rules as the server.
 * Returns NULL with err (bad keys, keypair mismatch, bad endpoint). */
struct bus *bus_client_new(const struct bus_client_config *cfg, char *err);

/* Closes the socket (pending messages are dropped after 100 ms), stops the
 * bus's thread and terminates its ZeroMQ context; NULL is a no-op. */
void bus_free(struct bus *b);

/* The endpoint: on a server as bound (a '*' port replaced by the port
 * chosen, e.g. "tcp://127.0.0.1:41234"), on a client as given. Returns 0,
 * or -1 with err when cap is too small. */
int bus_endpoint(const struct bus *b, char *buf, size_t cap, char *err);

/* Sends one frame (copied; at most BUS_MAX_FRAME bytes); to is the
 * destination peer on the server, NULL on a client. Never blocks: returns
 * 0, 1 when it cannot be sent now (server: peer gone or its queue of 1000
 * frames full; client: no finished handshake with the server, or queue
 * full) and the frame is dropped, or -1 with err. */
int bus_send(struct bus *b, const struct bus_peer *to, const void *buf, size_t len, char *err);

/* Receives one frame, waiting at most timeout_ms (0: poll; negative:
 * without limit). *buf is malloc'd (free()), *len its size. from is filled
 * on the server: routing id, the sender's Curve key as its handshake
 * proved it ("" when insecure) and its IP address; on a client (where it
 * may be NULL) id_len is 0 and key is the pinned server key. A message of
 * several frames is discarded whole; a peer sending a frame over
 * BUS_MAX_FRAME is disconnected by ZeroMQ. Returns 1 when a frame arrived,
 * 0 on timeout, -1 with err. */
int bus_recv(struct bus *b, struct bus_peer *from, uint8_t **buf, size_t *len, int timeout_ms,
             char *err);

/* Pops the oldest queued event text (truncated to cap), e.g.
 *   server: "accepted beacon key K from 127.0.0.1",
 *           "refused beacon key K from 10.0.0.7",
 *           "handshake failed from 10.0.0.7:51234: cryptographic error (...)",
 *           "connection from 10.0.0.7:51234 closed" (also after a failed
 *           handshake: not every failure gives a reason);
 *   client: "connected to tcp:...", "disconnected from tcp:...",
 *           "tcp:... refused this beacon's key K (status 400): ...",
 *           "handshake with tcp:... failed: ...".
 * A failure that repeats on every retry (a client pinning the wrong key
 * retries ~10 times a second) is queued once a minute per peer and cause.
 * A client refused by the allowlist tries again every 5 s.
 * The queue holds the newest 1024 (server) or 64 (client) texts; when older
 * ones were dropped, the next text says how many. Returns 1 with text
 * filled, 0 when none (or b is NULL). */
int bus_event(struct bus *b, char *text, size_t cap);

#endif
