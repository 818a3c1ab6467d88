/* ws_echo_server.h - a small libwebsockets server for the websocket client
 * tests and benchmark. It listens on 127.0.0.1 with an ephemeral port and
 * runs its own service thread (a TLS server: its own child process, see
 * ws_echo_server.c).
 *
 * Every text or binary message is reassembled and, unless the server is a
 * sink, echoed back as one message (sent in 64 KiB continuation frames when
 * larger). Messages starting with '!' are commands, neither echoed nor
 * counted:
 *   "!close CODE"  closes the connection with that close code
 *   "!drop"        shuts the TCP connection down without a close frame
 *   "!pause MS"    stops reading from the connection for MS milliseconds
 *   "!freeze MS"   stops the whole server (its service thread sleeps) for
 *                  MS milliseconds, as a SIGSTOPped node: connections are
 *                  still accepted by the kernel, nothing is answered
 *   "!big N"       replies with one message of N bytes ('x'), fragmented
 */
#ifndef BSS_WS_ECHO_SERVER_H
#define BSS_WS_ECHO_SERVER_H

#include <stdbool.h>
#include <stdint.h>

struct ws_echo;

struct ws_echo_config {
    bool sink;             /* count messages, do not echo */
    const char *cert_file; /* PEM certificate and key: serve wss:// */
    const char *key_file;
};

/* Starts the server (cfg may be NULL for a plain echo server). Returns NULL
 * with err (ERR_LEN bytes) on failure. Start a TLS server while the process
 * has no other thread (it forks). */
struct ws_echo *ws_echo_start(const struct ws_echo_config *cfg, char *err);
/* Stops the thread and frees everything; NULL is a no-op. */
void ws_echo_stop(struct ws_echo *s);

/* The TCP port the server listens on. */
int ws_echo_port(const struct ws_echo *s);

/* Counters, readable from any thread: complete non-command messages and
 * their payload bytes received, and websocket connections established. */
uint64_t ws_echo_messages(const struct ws_echo *s);
uint64_t ws_echo_bytes(const struct ws_echo *s);
uint64_t ws_echo_accepted(const struct ws_echo *s);

#endif
