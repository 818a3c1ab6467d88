/* txmap.h - a map from transaction id to a small value, each entry kept
 * until a clock passes its expiration: the node's duplicate history
 * (devnode) and a beacon's unconfirmed transactions (tracker) are both
 * this. Open addressing with linear probing (txids are hash output, so
 * their first bytes are a good hash) and a min-heap on expiration. Pure;
 * not thread-safe. */
#ifndef BSS_TXMAP_H
#define BSS_TXMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TXMAP_ID_LEN 20

struct txmap;

/* Returns a new empty map, or NULL when out of memory. */
struct txmap *txmap_new(void);
/* NULL is a no-op. */
void txmap_free(struct txmap *m);

/* Adds id with value and aux, to expire at expiration (any uint32 clock,
 * epoch seconds in practice). Returns 1 if id was already present (nothing
 * changes), 0 when added, -1 when out of memory. */
int txmap_put(struct txmap *m, const uint8_t id[TXMAP_ID_LEN], uint32_t expiration,
              uint64_t value, uint32_t aux);
/* True if id is present; its value and aux into the pointers that are not NULL. */
bool txmap_get(const struct txmap *m, const uint8_t id[TXMAP_ID_LEN], uint64_t *value,
               uint32_t *aux);
/* Removes id. Returns true if it was present. */
bool txmap_remove(struct txmap *m, const uint8_t id[TXMAP_ID_LEN]);
/* Removes every entry whose expiration < now. Returns how many. */
size_t txmap_expire(struct txmap *m, uint32_t now);
size_t txmap_size(const struct txmap *m);

#endif
