/* wsurl.c - see wsurl.h. */
#include "wsurl.h"

#include <stdio.h>
#include <string.h>

#include "err.h"

int wsurl_parse(struct wsurl *u, const char *url, char *err)
{
    const char *p, *h, *he, *end;
    size_t hl;
    long port;
    bool v6 = false;

    if (!url)
        return err_set(err, "url: missing");
    for (const char *q = url; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f)
            return err_set(err, "url \"%.100s\": contains a space or control character", url);
    if (!strncmp(url, "ws://", 5)) {
        u->tls = false;
        p = url + 5;
    } else if (!strncmp(url, "wss://", 6)) {
        u->tls = true;
        p = url + 6;
    } else {
        return err_set(err, "url \"%.100s\": scheme must be ws:// or wss://", url);
    }
    end = p + strcspn(p, "/?#");
    if (memchr(p, '@', (size_t)(end - p)))
        return err_set(err, "url \"%.100s\": user info is not supported", url);
    if (strchr(p, '#'))
        return err_set(err, "url \"%.100s\": a fragment (#) has no meaning here", url);
    if (*p == '[') {
        h = p + 1;
        he = memchr(h, ']', (size_t)(end - h));
        if (!he)
            return err_set(err, "url \"%.100s\": unterminated [IPv6] host", url);
        p = he + 1;
        v6 = true;
    } else {
        h = p;
        he = memchr(h, ':', (size_t)(end - h));
        p = he ? he : end;
        he = p;
    }
    hl = (size_t)(he - h);
    if (!hl)
        return err_set(err, "url \"%.100s\": empty host", url);
    if (hl >= WSURL_HOST_LEN)
        return err_set(err, "url \"%.100s\": host longer than %d characters", url,
                       WSURL_HOST_LEN - 1);
    port = u->tls ? 443 : 80;
    if (p < end && *p == ':') {
        if (p + 1 == end || end - (p + 1) > 5)
            return err_set(err, "url \"%.100s\": port must be 1-65535", url);
        port = 0;
        for (const char *d = p + 1; d < end; d++) {
            if (*d < '0' || *d > '9')
                return err_set(err, "url \"%.100s\": port must be 1-65535", url);
            port = port * 10 + (*d - '0');
        }
        if (port < 1 || port > 65535)
            return err_set(err, "url \"%.100s\": port must be 1-65535", url);
    } else if (p != end) {
        return err_set(err, "url \"%.100s\": unexpected text after the host", url);
    }
    if (strlen(end) + 2 > WSURL_PATH_LEN)
        return err_set(err, "url \"%.100s\": path longer than %d characters", url,
                       WSURL_PATH_LEN - 2);
    memcpy(u->host, h, hl);
    u->host[hl] = '\0';
    u->port = (int)port;
    snprintf(u->hostport, sizeof(u->hostport), v6 ? "[%s]:%ld" : "%s:%ld", u->host, port);
    /* "ws://h?q" has an empty path: the request line still needs the "/". */
    snprintf(u->path, sizeof(u->path), "%s%s", *end == '/' ? "" : "/", end);
    return 0;
}
