/* pool.h - the pre-signed transaction pool: signer threads fill chunks with
 * ready-to-send frames and publish them; the sender takes whole chunks and
 * walks their items without further locking.
 *
 * Memory: a chunk is one allocation of chunk_bytes holding many items back
 * to back (header + frame text, 8-byte aligned), so a single-transfer item
 * costs its frame (~350 bytes) plus a 40-byte header and nothing else.
 * Chunks are recycled, never freed, until pool_free.
 *
 * Threads: any number of producers, one consumer. The mutex is taken once
 * per chunk (hundreds of transactions), never per transaction. */
#ifndef BSS_POOL_H
#define BSS_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tx.h"

struct pool_item {
    uint64_t k;              /* generator index */
    uint8_t key[TX_ID_LEN];  /* how the tracker finds it in blocks: bytes 1..20 of
                              * its first signature (blockscan_key) */
    uint32_t expiration;     /* transaction expiration, epoch seconds */
    uint32_t frame_len;      /* bytes in frame[] */
    uint16_t nops;
    uint16_t reserved;
    char frame[];            /* the request text, not NUL-terminated */
};

struct pool_chunk;
struct pool;

/* Creates a pool of chunks of chunk_bytes (>= 4096) each, at most max_chunks
 * of them (bounding memory). Returns NULL with err. */
struct pool *pool_new(size_t chunk_bytes, size_t max_chunks, char *err);
/* Frees every chunk; NULL is a no-op. No thread may be using the pool. */
void pool_free(struct pool *p);

/* Producer: an empty chunk (recycled or new), or NULL when max_chunks are
 * all in use (the pool is full: the caller waits and retries). */
struct pool_chunk *pool_get_empty(struct pool *p);
/* Producer: space for an item with a frame of frame_len bytes at the end of
 * chunk c, or NULL if it does not fit (publish c and start another; an item
 * larger than a whole chunk never fits: check pool_item_fits first). */
struct pool_item *pool_chunk_reserve(struct pool_chunk *c, size_t frame_len);
/* Producer: true if an item with frame_len bytes fits in an empty chunk. */
bool pool_item_fits(const struct pool *p, size_t frame_len);
/* Producer: marks chunk c as made for epoch (see pool_epoch); a chunk from
 * pool_get_empty is marked with the epoch current then. */
void pool_chunk_set_epoch(struct pool_chunk *c, uint64_t epoch);
/* The current epoch: read it before reading the TaPoS reference that the
 * chunk's transactions will use, so that a discard in between is seen. */
uint64_t pool_epoch(struct pool *p);
/* Producer: hands a filled chunk to the consumer (FIFO); an empty chunk, or
 * one of an epoch that pool_discard ended, is recycled instead (returns
 * false for the latter). The level counts its items from now on. */
bool pool_publish(struct pool *p, struct pool_chunk *c);
/* Any thread: discards every published chunk not yet taken and starts a new
 * epoch, so that chunks being filled for the old one are discarded when
 * published (e.g. the chain restarted: their TaPoS is void). The consumer
 * recycles the chunk it holds itself. Returns the items discarded. */
size_t pool_discard(struct pool *p);

/* Consumer: the oldest published chunk, or NULL if none. */
struct pool_chunk *pool_take(struct pool *p);
/* Consumer: the next item of a taken chunk, or NULL when it is exhausted. */
const struct pool_item *pool_chunk_next(struct pool *p, struct pool_chunk *c);
/* Consumer: returns an exhausted (or abandoned) chunk for reuse. */
void pool_recycle(struct pool *p, struct pool_chunk *c);

/* Items published and not yet handed out by pool_chunk_next. */
size_t pool_level(const struct pool *p);
/* Bytes held by allocated chunks. */
size_t pool_bytes(const struct pool *p);

#endif
