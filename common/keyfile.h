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

/* Reads and parses the file at path (see keyfile_parse; at most 1 MiB),
 * then wipes and frees its buffer. On failure kf is left empty. Returns 0,
 * or -1 with err "PATH:LINE: problem" or "PATH: <open/read error>". */
int keyfile_load(struct keyfile *kf, const struct sign_ctx *ctx, const char *path, char *err);

/* Checks that the key file at path is private: a regular file that no user
 * other than its owner and group can read or write (mode & 007 == 0), as
 * proto/bus_key.c requires of CurveZMQ secret key files. Group access is
 * allowed so that a container platform can hand the file to the program's
 * group (Kubernetes secrets with fsGroup, mode 0440). Call it before
 * keyfile_load unless the user overrode it (--allow-readable-keys). Returns
 * 0, or -1 with err "PATH: holds private keys but any user can read it (mode
 * 0644); chmod 600 PATH, or pass --allow-readable-keys" (or "PATH: cannot
 * stat: ..." / "PATH: not a regular file"). */
int keyfile_check_private(const char *path, char *err);

/* Parses key file text (len bytes, need not be NUL-terminated); name is used
 * in messages. Any previous contents of kf are cleared first; on failure kf
 * is left empty. Account names must be valid Graphene names (is_valid_name:
 * at most 63 characters; '.'-separated labels, each starting with a
 * lowercase letter, ending with a letter or digit, and holding only a-z,
 * 0-9 and '-'); ids must be "1.2.N" with N < 2^48, no leading zeros. An
 * empty file (no keys) is an error. Duplicate lines for the same account
 * and key are an error (the same key for two accounts, or two keys for one
 * account, are fine). Messages, e.g. "keys.txt:3: bad WIF checksum",
 * "keys.txt:5: expected ACCOUNT WIF", "keys.txt:2: malformed account id
 * \"1.2.x\"", "keys.txt:4: invalid account name: <why>", "keys.txt: no keys";
 * an account token is quoted only when too short to be a key. The caller
 * should wipe text afterwards (keyfile_load wipes its own buffer). */
int keyfile_parse(struct keyfile *kf, const struct sign_ctx *ctx, const char *text, size_t len,
                  const char *name, char *err);

/* Frees every key (wiping it) and the array; kf becomes empty. */
void keyfile_clear(struct keyfile *kf);

/* Returns the first entry whose account equals name, or, when name is NULL,
 * the first entry written as the id "1.2.<id>" (entries written as names
 * are not matched by id, although their account_id is 0). NULL if none. */
const struct keyfile_entry *keyfile_find(const struct keyfile *kf, const char *name, uint64_t id);

#endif
