/* keyfile.h - the key file every program reads: one key per line,
 * "ACCOUNT WIF", ACCOUNT an account name or id ("1.2.N"); '#' starts a
 * comment (to the end of the line); blank lines are ignored; fields are
 * separated by spaces or tabs. A bad line is an error naming the file (or
 * source name) and line number; the key text is never echoed. */
#ifndef BSS_KEYFILE_H
#define BSS_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "pubkey.h"
#include "sign.h"

#define KEYFILE_ACCOUNT_MAX 64 /* names are at most 63 characters */

struct keyfile_entry {
    char account[KEYFILE_ACCOUNT_MAX]; /* as written: a name or "1.2.N" */
    uint64_t account_id;               /* N when account is an id, else 0 */
    uint8_t pub[PUBKEY_LEN];           /* public key of the entry's key */
    struct sign_key *key;              /* owned by the keyfile */
};

/* A loaded key file; a value struct the caller owns. Zero-initialise it
 * (or use KEYFILE_INIT) before the first load; release with keyfile_clear. */
struct keyfile {
    struct keyfile_entry *entries;
    size_t n;
};
#define KEYFILE_INIT {NULL, 0}

/* Reads and parses the file at path (see keyfile_parse). On failure kf is
 * left empty. Returns 0, or -1 with err "PATH:LINE: problem" or
 * "PATH: <open/read error>". */
int keyfile_load(struct keyfile *kf, const struct sign_ctx *ctx, const char *path, char *err);

/* Parses key file text (len bytes, need not be NUL-terminated); name is used
 * in messages. Account names must be valid Graphene names (lowercase letter
 * first; letters, digits, '-' and '.'; at most 63 characters), ids must be
 * "1.2.N" with N < 2^48. An empty file (no keys) is an error. Duplicate
 * lines for the same account and key are an error. The caller should wipe
 * text afterwards if it came from the network. */
int keyfile_parse(struct keyfile *kf, const struct sign_ctx *ctx, const char *text, size_t len,
                  const char *name, char *err);

/* Frees every key (wiping it) and the array; kf becomes empty. */
void keyfile_clear(struct keyfile *kf);

/* Returns the first entry whose account equals name (or whose id is id when
 * name is NULL), or NULL. */
const struct keyfile_entry *keyfile_find(const struct keyfile *kf, const char *name, uint64_t id);

#endif
