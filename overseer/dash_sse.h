/* dash_sse.h - the dashboard's Server-Sent Events: a bounded ring of
 * rendered frames with increasing ids, so that a client that reconnects
 * with Last-Event-ID gets what it missed while the ring still holds it.
 *
 * A frame is `id: N\ndata: LINE\n...\n\n` (one data: line per line of the
 * message, as the SSE format wants for multi-line data). Ids start at 1 and
 * never repeat within a ring's life. The ring is bounded both in frames and
 * in bytes: pushing evicts the oldest frames until both bounds hold.
 *
 * Pure and not thread-safe: the dashboard (dash.c) holds its lock around
 * every call. Pointer arguments must not be NULL unless stated otherwise. */
#ifndef BSS_DASH_SSE_H
#define BSS_DASH_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sbuf.h"

struct dash_sse;

/* A ring of at most max_frames frames and max_bytes bytes of frame text
 * (both > 0). NULL when out of memory or a bound is 0. */
struct dash_sse *dash_sse_new(size_t max_frames, size_t max_bytes);
/* Frees the ring and its frames; NULL is a no-op. */
void dash_sse_free(struct dash_sse *r);

/* Appends the SSE frame for message data[0..len) with id `id` to out
 * (data holding CR, LF or CRLF becomes several data: lines; an empty
 * message is one empty data: line). */
void dash_sse_frame(struct sbuf *out, uint64_t id, const char *data, size_t len);

/* Renders data[0..len) as the next frame and keeps it. A frame larger than
 * max_bytes is still kept (alone). Returns the frame's id, or 0 when out of
 * memory (nothing kept). */
uint64_t dash_sse_push(struct dash_sse *r, const char *data, size_t len);

/* The newest id (0: nothing pushed yet) and the oldest id still held (0:
 * empty). */
uint64_t dash_sse_last_id(const struct dash_sse *r);
uint64_t dash_sse_first_id(const struct dash_sse *r);

/* Appends the frames with ids greater than after, oldest first, while out
 * stays within max_out bytes (at least one frame is appended when one is
 * due, whatever its size). *next becomes the id of the last frame appended
 * (after itself when none). Returns the number of frames appended, or -1
 * when frames the client needs were evicted (after + 1 < the oldest id held
 * and after < the newest): the client fell behind the buffer and should be
 * dropped (or, on a fresh connection, start from the oldest). */
long dash_sse_read(const struct dash_sse *r, uint64_t after, size_t max_out, struct sbuf *out,
                   uint64_t *next);

/* Parses a Last-Event-ID value (decimal, surrounding blanks allowed) into
 * *id. Returns false, leaving *id alone, for anything else. */
bool dash_sse_parse_id(const char *s, uint64_t *id);

#endif
