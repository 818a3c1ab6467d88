/* opts.h - parsing of the beacon's option values. Each parser takes the
 * option name for its error message ("--count: expected a whole number,
 * got \"1x\""). Pure. */
#ifndef BSS_OPTS_H
#define BSS_OPTS_H

#include <stdint.h>

#include "tx.h"

/* A whole number in [min, max] (decimal). Returns 0 or -1 with err. */
int opts_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err);

/* An object id "1.T.N" of the given type (2 accounts, 3 assets). */
int opts_id(const char *opt, const char *s, unsigned type, uint64_t *out, char *err);

/* "AMOUNT" or "AMOUNT:1.3.N" (amount in the asset's smallest units). The
 * asset keeps its current value when not given. */
int opts_asset(const char *opt, const char *s, struct tx_asset *out, char *err);

/* An operation mix "transfer=70,limit_order=30" (weights, any scale; a
 * kind left out gets 0). Returns 0 or -1 with err naming the bad part. */
int opts_mix(const char *opt, const char *s, unsigned *w_transfer, unsigned *w_limit_order,
             char *err);

/* Exactly `len` bytes of hex. */
int opts_hex(const char *opt, const char *s, uint8_t *out, size_t len, char *err);

#endif
