/* genesis.h - the devnode's starting state: chain id, address prefix, chain
 * parameters, fee schedule, assets and accounts with keys and balances.
 * Read from a JSON file (format in devnode/README.md) and optionally
 * extended from a key file (--accounts). Every field of the file is
 * optional; missing ones take the defaults documented in the README. */
#ifndef DEVNODE_GENESIS_H
#define DEVNODE_GENESIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"
#include "pubkey.h"

#define GENESIS_NAME_MAX 64   /* account names: at most 63 characters */
#define GENESIS_SYMBOL_MAX 17 /* asset symbols: at most 16 characters */
#define GENESIS_MAX_ASSETS 16

struct genesis_asset {
    uint64_t id; /* instance of 1.3.N */
    char symbol[GENESIS_SYMBOL_MAX];
    uint8_t precision; /* 0..12 */
    int64_t max_supply;
    int64_t default_balance; /* given to every --accounts account */
};

struct genesis_account {
    uint64_t id; /* instance of 1.2.N */
    char name[GENESIS_NAME_MAX];
    uint8_t owner[PUBKEY_LEN];
    uint8_t active[PUBKEY_LEN];
    uint8_t memo[PUBKEY_LEN];
    int64_t balances[GENESIS_MAX_ASSETS]; /* by asset index */
};

struct genesis_params {
    uint32_t block_interval_ms;        /* devnode allows sub-second */
    uint32_t max_tx_size;              /* maximum_transaction_size */
    uint32_t max_block_size;           /* maximum_block_size */
    uint32_t max_time_until_expiration;
    /* Fee schedule (core asset units, before scale). */
    uint64_t fee_transfer;
    uint64_t fee_transfer_per_kbyte;
    uint64_t fee_limit_order;
    uint32_t fee_scale; /* 10000 = 100% */
};

/* A value struct the caller owns; release with genesis_clear. */
struct genesis {
    uint8_t chain_id[32];
    char prefix[PUBKEY_PREFIX_MAX + 1];
    struct genesis_params params;
    struct genesis_asset assets[GENESIS_MAX_ASSETS];
    size_t nassets; /* assets[0] is the core asset 1.3.0 */
    struct genesis_account *accounts;
    size_t naccounts, accounts_cap;
};

/* Fills g with the built-in defaults: chain id sha256("bss-devnode"),
 * prefix "TEST", core asset TEST (precision 5) and USD (1.3.1, precision 4),
 * the node's default parameters and fees, no accounts. */
void genesis_defaults(struct genesis *g);

/* genesis_defaults, then applies the JSON text (len bytes; name is used in
 * messages). The chain id is the "chain_id" member (64 hex) when given,
 * else sha256 of the text. Returns 0, or -1 with err naming the member. */
int genesis_parse(struct genesis *g, const char *text, size_t len, const char *name, char *err);

/* Reads the file at path and calls genesis_parse. */
int genesis_load(struct genesis *g, const char *path, char *err);

/* Adds each key file entry as an account whose owner, active and memo key
 * is the entry's key, with every asset's default_balance. Named entries
 * get the next free id (above every id in use, at least 1.2.100); "1.2.N"
 * entries are named "account-N". An account that already exists must
 * already have that active key (it is then left as it is). Two different
 * keys for one account are an error: devnode authorities hold one key.
 * Returns 0, or -1 with err. */
int genesis_add_keyfile(struct genesis *g, const struct keyfile *kf, char *err);

/* Adds one account (copied). Returns 0, or -1 with err on a duplicate id
 * or name, an invalid name or out of memory. */
int genesis_add_account(struct genesis *g, const struct genesis_account *a, char *err);

/* Index of the asset with instance id, or -1. */
int genesis_asset_index(const struct genesis *g, uint64_t id);

/* Frees the accounts; g keeps its other fields. */
void genesis_clear(struct genesis *g);

/* Graphene's account name rule (lowercase letter first; letters, digits,
 * '-' and '.'; 1..63 characters). */
bool genesis_name_valid(const char *name, size_t len);

#endif
