/* pool.c - see pool.h. */
#include "pool.h"

#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "err.h"

struct pool_chunk {
    struct pool_chunk *next;
    uint64_t epoch;  /* pool epoch its items were made for */
    size_t used;     /* bytes of data[] filled */
    size_t read_off; /* consumer position */
    size_t cap;
    alignas(8) unsigned char data[];
};

struct pool {
    pthread_mutex_t lock;
    struct pool_chunk *ready_head, *ready_tail; /* FIFO of published chunks */
    struct pool_chunk *free_list;
    size_t chunk_bytes;
    size_t max_chunks;
    size_t nchunks;
    uint64_t epoch;  /* chunks of older epochs are discarded (pool_discard) */
    atomic_size_t level;
};

static size_t pool_item_size(size_t frame_len)
{
    return (sizeof(struct pool_item) + frame_len + 7) & ~(size_t)7;
}

struct pool *pool_new(size_t chunk_bytes, size_t max_chunks, char *err)
{
    struct pool *p;

    if (chunk_bytes < 4096 || max_chunks < 2) {
        err_set(err, "pool needs chunks of at least 4096 bytes and at least 2 chunks");
        return NULL;
    }
    p = calloc(1, sizeof *p);
    if (p == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    pthread_mutex_init(&p->lock, NULL);
    p->chunk_bytes = chunk_bytes;
    p->max_chunks = max_chunks;
    atomic_init(&p->level, 0);
    return p;
}

static void pool_free_list(struct pool_chunk *c)
{
    while (c != NULL) {
        struct pool_chunk *next = c->next;
        free(c);
        c = next;
    }
}

void pool_free(struct pool *p)
{
    if (p == NULL)
        return;
    pool_free_list(p->ready_head);
    pool_free_list(p->free_list);
    pthread_mutex_destroy(&p->lock);
    free(p);
}

struct pool_chunk *pool_get_empty(struct pool *p)
{
    struct pool_chunk *c = NULL;
    bool grow = false;

    uint64_t epoch;

    pthread_mutex_lock(&p->lock);
    epoch = p->epoch;
    if (p->free_list != NULL) {
        c = p->free_list;
        p->free_list = c->next;
    } else if (p->nchunks < p->max_chunks) {
        p->nchunks++;
        grow = true;
    }
    pthread_mutex_unlock(&p->lock);
    if (grow) {
        /* Allocate outside the lock; undo the reservation on failure. */
        c = malloc(sizeof *c + p->chunk_bytes);
        if (c == NULL) {
            pthread_mutex_lock(&p->lock);
            p->nchunks--;
            pthread_mutex_unlock(&p->lock);
            return NULL;
        }
        c->cap = p->chunk_bytes;
    }
    if (c != NULL) {
        c->next = NULL;
        c->epoch = epoch;
        c->used = 0;
        c->read_off = 0;
    }
    return c;
}

bool pool_item_fits(const struct pool *p, size_t frame_len)
{
    return pool_item_size(frame_len) <= p->chunk_bytes && frame_len <= UINT32_MAX;
}

struct pool_item *pool_chunk_reserve(struct pool_chunk *c, size_t frame_len)
{
    size_t size = pool_item_size(frame_len);
    struct pool_item *it;

    if (size > c->cap - c->used)
        return NULL;
    it = (struct pool_item *)(void *)(c->data + c->used);
    it->frame_len = (uint32_t)frame_len;
    c->used += size;
    return it;
}

static size_t pool_count_from(const struct pool_chunk *c, size_t off)
{
    size_t n = 0;

    while (off < c->used) {
        const struct pool_item *it = (const void *)(c->data + off);
        off += pool_item_size(it->frame_len);
        n++;
    }
    return n;
}

void pool_chunk_set_epoch(struct pool_chunk *c, uint64_t epoch)
{
    c->epoch = epoch;
}

uint64_t pool_epoch(struct pool *p)
{
    uint64_t e;

    pthread_mutex_lock(&p->lock);
    e = p->epoch;
    pthread_mutex_unlock(&p->lock);
    return e;
}

bool pool_publish(struct pool *p, struct pool_chunk *c)
{
    size_t n;

    if (c->used == 0) {
        pool_recycle(p, c);
        return true;
    }
    n = pool_count_from(c, 0);
    pthread_mutex_lock(&p->lock);
    if (c->epoch != p->epoch) {
        /* Made for a chain or TaPoS that pool_discard gave up: never sent. */
        c->next = p->free_list;
        p->free_list = c;
        pthread_mutex_unlock(&p->lock);
        return false;
    }
    /* The level counts the items before the consumer can see them: it may
     * take and subtract them the moment the chunk is linked, and the
     * level must never go below zero (a size_t would wrap). */
    atomic_fetch_add_explicit(&p->level, n, memory_order_relaxed);
    c->next = NULL;
    if (p->ready_tail != NULL)
        p->ready_tail->next = c;
    else
        p->ready_head = c;
    p->ready_tail = c;
    pthread_mutex_unlock(&p->lock);
    return true;
}

size_t pool_discard(struct pool *p)
{
    size_t n = 0;

    pthread_mutex_lock(&p->lock);
    p->epoch++;
    while (p->ready_head != NULL) {
        struct pool_chunk *c = p->ready_head;
        p->ready_head = c->next;
        n += pool_count_from(c, c->read_off);
        c->next = p->free_list;
        p->free_list = c;
    }
    p->ready_tail = NULL;
    atomic_fetch_sub_explicit(&p->level, n, memory_order_relaxed);
    pthread_mutex_unlock(&p->lock);
    return n;
}

struct pool_chunk *pool_take(struct pool *p)
{
    struct pool_chunk *c;

    pthread_mutex_lock(&p->lock);
    c = p->ready_head;
    if (c != NULL) {
        p->ready_head = c->next;
        if (p->ready_head == NULL)
            p->ready_tail = NULL;
        c->next = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    return c;
}

const struct pool_item *pool_chunk_next(struct pool *p, struct pool_chunk *c)
{
    const struct pool_item *it;

    if (c->read_off >= c->used)
        return NULL;
    it = (const void *)(c->data + c->read_off);
    c->read_off += pool_item_size(it->frame_len);
    atomic_fetch_sub_explicit(&p->level, 1, memory_order_relaxed);
    return it;
}

void pool_recycle(struct pool *p, struct pool_chunk *c)
{
    /* Items never handed out leave the level now. */
    size_t left = pool_count_from(c, c->read_off);

    pthread_mutex_lock(&p->lock);
    c->next = p->free_list;
    p->free_list = c;
    if (left > 0)
        atomic_fetch_sub_explicit(&p->level, left, memory_order_relaxed);
    pthread_mutex_unlock(&p->lock);
}

size_t pool_level(const struct pool *p)
{
    return atomic_load_explicit(&p->level, memory_order_relaxed);
}

size_t pool_bytes(const struct pool *p)
{
    struct pool *mp = (struct pool *)p;
    size_t n;

    pthread_mutex_lock(&mp->lock);
    n = mp->nchunks;
    pthread_mutex_unlock(&mp->lock);
    return n * (sizeof(struct pool_chunk) + p->chunk_bytes);
}
