/* txmap.c - see txmap.h. */
#include "txmap.h"

#include <stdlib.h>
#include <string.h>

struct txmap_slot {
    uint8_t id[TXMAP_ID_LEN];
    bool used;
    uint32_t expiration;
    uint32_t aux;
    uint64_t value;
};

struct txmap_heap_item {
    uint32_t expiration;
    uint8_t id[TXMAP_ID_LEN];
};

struct txmap {
    struct txmap_slot *slots;
    size_t mask; /* capacity - 1, capacity a power of two */
    size_t n;
    struct txmap_heap_item *heap;
    size_t hn, hcap;
};

static size_t txmap_home(const uint8_t id[TXMAP_ID_LEN], size_t mask)
{
    uint64_t h;

    memcpy(&h, id, sizeof h);
    return (size_t)h & mask;
}

struct txmap *txmap_new(void)
{
    struct txmap *m = calloc(1, sizeof *m);

    if (m == NULL)
        return NULL;
    m->mask = 1023;
    m->slots = calloc(m->mask + 1, sizeof *m->slots);
    if (m->slots == NULL) {
        free(m);
        return NULL;
    }
    return m;
}

void txmap_free(struct txmap *m)
{
    if (m == NULL)
        return;
    free(m->slots);
    free(m->heap);
    free(m);
}

static struct txmap_slot *txmap_find(const struct txmap *m, const uint8_t id[TXMAP_ID_LEN])
{
    for (size_t i = txmap_home(id, m->mask);; i = (i + 1) & m->mask) {
        struct txmap_slot *sl = &m->slots[i];
        if (!sl->used)
            return NULL;
        if (memcmp(sl->id, id, TXMAP_ID_LEN) == 0)
            return sl;
    }
}

static void txmap_place(struct txmap_slot *slots, size_t mask, const struct txmap_slot *src)
{
    size_t i = txmap_home(src->id, mask);

    while (slots[i].used)
        i = (i + 1) & mask;
    slots[i] = *src;
}

static int txmap_grow(struct txmap *m)
{
    size_t cap = (m->mask + 1) * 2;
    struct txmap_slot *ns = calloc(cap, sizeof *ns);

    if (ns == NULL)
        return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].used)
            txmap_place(ns, cap - 1, &m->slots[i]);
    free(m->slots);
    m->slots = ns;
    m->mask = cap - 1;
    return 0;
}

static void txmap_swap(struct txmap_heap_item *h, size_t a, size_t b)
{
    struct txmap_heap_item t = h[a];
    h[a] = h[b];
    h[b] = t;
}

static void txmap_heap_up(struct txmap_heap_item *h, size_t i)
{
    while (i > 0 && h[(i - 1) / 2].expiration > h[i].expiration) {
        txmap_swap(h, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void txmap_heap_down(struct txmap_heap_item *h, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && h[l].expiration < h[m].expiration)
            m = l;
        if (r < n && h[r].expiration < h[m].expiration)
            m = r;
        if (m == i)
            return;
        txmap_swap(h, m, i);
        i = m;
    }
}

/* Entries removed before expiring leave stale heap items behind; at
 * thousands of confirmations a second they would pile up for a whole
 * expiration window. When stale items outnumber live entries the heap is
 * rebuilt from the live slots (O(n), amortised over as many removals). */
static void txmap_compact(struct txmap *m)
{
    size_t k = 0;

    for (size_t i = 0; i <= m->mask; i++)
        if (m->slots[i].used) {
            m->heap[k].expiration = m->slots[i].expiration;
            memcpy(m->heap[k].id, m->slots[i].id, TXMAP_ID_LEN);
            k++;
        }
    m->hn = k;
    for (size_t i = k / 2; i-- > 0;)
        txmap_heap_down(m->heap, m->hn, i);
}

int txmap_put(struct txmap *m, const uint8_t id[TXMAP_ID_LEN], uint32_t expiration,
              uint64_t value, uint32_t aux)
{
    struct txmap_slot s = {.used = true, .expiration = expiration, .aux = aux, .value = value};

    if (txmap_find(m, id) != NULL)
        return 1;
    /* Load factor <= 1/2 keeps linear probing short. */
    if ((m->n + 1) * 2 > m->mask + 1 && txmap_grow(m) < 0)
        return -1;
    if (m->hn == m->hcap && m->hn > 2 * m->n + 1024)
        txmap_compact(m);
    if (m->hn == m->hcap) {
        size_t cap = m->hcap ? m->hcap * 2 : 1024;
        struct txmap_heap_item *nh = realloc(m->heap, cap * sizeof *nh);
        if (nh == NULL)
            return -1;
        m->heap = nh;
        m->hcap = cap;
    }
    memcpy(s.id, id, TXMAP_ID_LEN);
    txmap_place(m->slots, m->mask, &s);
    m->n++;
    m->heap[m->hn].expiration = expiration;
    memcpy(m->heap[m->hn].id, id, TXMAP_ID_LEN);
    txmap_heap_up(m->heap, m->hn++);
    return 0;
}

bool txmap_get(const struct txmap *m, const uint8_t id[TXMAP_ID_LEN], uint64_t *value,
               uint32_t *aux)
{
    const struct txmap_slot *sl = txmap_find(m, id);

    if (sl == NULL)
        return false;
    if (value != NULL)
        *value = sl->value;
    if (aux != NULL)
        *aux = sl->aux;
    return true;
}

bool txmap_remove(struct txmap *m, const uint8_t id[TXMAP_ID_LEN])
{
    struct txmap_slot *sl = txmap_find(m, id);
    size_t i, j;

    if (sl == NULL)
        return false;
    /* Backward-shift deletion: no tombstones, probes stay short. The heap
     * entry stays and is skipped when it surfaces. */
    i = (size_t)(sl - m->slots);
    m->slots[i].used = false;
    for (j = (i + 1) & m->mask; m->slots[j].used; j = (j + 1) & m->mask) {
        size_t home = txmap_home(m->slots[j].id, m->mask);
        /* Move j back to i when i lies cyclically in [home, j). */
        bool move = (j > i) ? (home <= i || home > j) : (home <= i && home > j);
        if (move) {
            m->slots[i] = m->slots[j];
            m->slots[j].used = false;
            i = j;
        }
    }
    m->n--;
    return true;
}

size_t txmap_expire(struct txmap *m, uint32_t now)
{
    size_t removed = 0;

    while (m->hn > 0 && m->heap[0].expiration < now) {
        const struct txmap_slot *sl = txmap_find(m, m->heap[0].id);
        /* A stale heap entry (removed, maybe re-added with another
         * expiration) must not remove the live entry. */
        if (sl != NULL && sl->expiration == m->heap[0].expiration) {
            txmap_remove(m, m->heap[0].id);
            removed++;
        }
        m->heap[0] = m->heap[--m->hn];
        txmap_heap_down(m->heap, m->hn, 0);
    }
    return removed;
}

size_t txmap_size(const struct txmap *m)
{
    return m->n;
}
