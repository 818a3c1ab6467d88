/* wspeer_lws.h - the libwebsockets side of wspeer.c that wsserver.c needs
 * to register the link protocol. Only for ws*.c (they may include
 * libwebsockets). */
#ifndef DEVNODE_WSPEER_LWS_H
#define DEVNODE_WSPEER_LWS_H

#include <libwebsockets.h>

#define WSPEER_PROTOCOL "devnode-peer"

int wspeer_lws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                        size_t len);

/* The server's context and vhost (wsserver.c). */
struct wsserver;
struct lws_context *wsserver_lws_context(struct wsserver *s);
struct lws_vhost *wsserver_lws_vhost(struct wsserver *s);

#endif
