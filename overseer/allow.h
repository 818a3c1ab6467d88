/* allow.h - the overseer's allowlist of beacon public keys: one Z85 key
 * (40 characters) per line, optionally after the word "public" (so a
 * beacon's .pub file is a valid line) and optionally followed by a name;
 * '#' at the start of a line or after a blank starts a comment (Z85 keys
 * may contain '#'). */
#ifndef BSS_ALLOW_H
#define BSS_ALLOW_H

#include <stddef.h>

#include "bus.h"

#define ALLOW_MAX 100000

struct allowlist {
    char (*keys)[BUS_KEY_LEN + 1];
    const char **ptrs; /* ptrs[i] == keys[i]: the form bus_server_config wants */
    size_t n;
};

/* Reads path into a (empty first; free with allow_free). Returns 0, or -1
 * with err "PATH:LINE: problem". */
int allow_load(struct allowlist *a, const char *path, char *err);
/* Adds one key (validated as 40 Z85 characters). Returns 0 or -1 with err. */
int allow_add(struct allowlist *a, const char *key, char *err);
void allow_free(struct allowlist *a);

#endif
