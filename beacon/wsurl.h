/* wsurl.h - a ws:// or wss:// URL split into what a websocket connection
 * needs. Pure: no I/O, no logging. */
#ifndef BSS_WSURL_H
#define BSS_WSURL_H

#include <stdbool.h>

#define WSURL_HOST_LEN 256  /* host name or address, NUL included */
#define WSURL_PATH_LEN 1024 /* path and query, NUL included */

struct wsurl {
    bool tls;                          /* wss:// */
    int port;                          /* explicit, or 80 / 443 */
    char host[WSURL_HOST_LEN];         /* an IPv6 literal without its [] */
    char hostport[WSURL_HOST_LEN + 8]; /* Host header: "host:port", "[v6]:port" */
    char path[WSURL_PATH_LEN];         /* "/..." with the query; "/" when absent */
};

/* Parses url, "ws[s]://HOST[:PORT][/PATH][?QUERY]" where HOST may be a
 * bracketed IPv6 literal, into *u. User info, a fragment, an empty host, a
 * port outside 1-65535, spaces and control characters are refused.
 * Returns 0, or -1 with err naming the problem (u is then unspecified). */
int wsurl_parse(struct wsurl *u, const char *url, char *err);

#endif
