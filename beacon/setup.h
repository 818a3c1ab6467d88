/* setup.h - what a beacon learns from the node(s) before sending anything:
 * chain id and parameters, the TaPoS starting point, the broadcast api id,
 * account ids, that every configured key is an active key of its account,
 * balances, and the fees of the operations it will send. */
#ifndef BSS_SETUP_H
#define BSS_SETUP_H

#include <stddef.h>
#include <stdint.h>

#include "keyfile.h"
#include "pubkey.h"
#include "rpcsync.h"
#include "tx.h"

#define SETUP_TIMEOUT_MS 10000

struct chain_info {
    uint8_t chain_id[TX_CHAIN_ID_LEN];
    uint32_t max_tx_size;      /* maximum_transaction_size (unsigned packed bytes) */
    uint32_t max_block_size;
    uint32_t max_expiration;   /* maximum_time_until_expiration, s */
    uint32_t block_interval;   /* s */
    uint32_t head_num;
    uint8_t head_id[TX_BLOCK_ID_LEN];
    uint32_t head_time;        /* head block time, epoch s */
    uint32_t lib_num;          /* last irreversible block */
    unsigned broadcast_api;    /* api id of network_broadcast on this connection */
    char key_prefix[PUBKEY_PREFIX_MAX + 1]; /* from the accounts' keys, e.g. "TEST" */
};

struct setup_account {
    const struct keyfile_entry *entry; /* borrowed from the key file */
    char name[KEYFILE_ACCOUNT_MAX];
    uint64_t id;                        /* instance of 1.2.N */
    int64_t core_balance;               /* 1.3.0 balance at setup */
};

/* Reads chain id, parameters, head block and the broadcast api id.
 * Returns 0, or -1 with err naming the node and call. */
int setup_chain(struct rpcsync *r, struct chain_info *ci, char *err);

/* Checks that another node serves the same chain as ci. Returns 0, or -1
 * with err naming both chain ids and the node. */
int setup_same_chain(struct rpcsync *r, const struct chain_info *ci, char *err);

/* Looks up every key file entry (names with lookup_account_names, ids with
 * get_accounts), checks that its key is in the account's active authority
 * with enough weight to sign alone, and reads its 1.3.0 balance. Fills
 * out[0..kf->n) and ci->key_prefix. Returns 0, or -1 with err naming the
 * account: "alice: no such account on ws://…", "alice: key TEST5… is not an
 * active key of 1.2.17". */
int setup_accounts(struct rpcsync *r, const struct keyfile *kf, struct chain_info *ci,
                   struct setup_account *out, char *err);

/* Asks the node for the current fees (in 1.3.0) of a transfer and of a
 * limit order shaped like the ones we send. Returns 0, or -1 with err. */
int setup_fees(struct rpcsync *r, uint64_t from, uint64_t to, uint64_t sell_asset,
               uint64_t receive_asset, int64_t *transfer_fee, int64_t *order_fee, char *err);

#endif
