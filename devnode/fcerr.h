/* fcerr.h - an error as the node reports it: an fc exception (code, name,
 * what) with one log entry (format, substituted message, data object,
 * context). rpc.c renders it in the node's JSON error shape:
 *   {"code":C,"message":"Execution error: WHAT: MESSAGE","data":{"code":C,
 *    "name":NAME,"message":WHAT,"stack":[{"context":{...},"format":FORMAT,
 *    "data":DATA}]}}
 * Each error also carries a devnode reason, used for the per-reason
 * rejection counters of the status line. */
#ifndef DEVNODE_FCERR_H
#define DEVNODE_FCERR_H

#include <stdint.h>

enum fcerr_reason {
    FCERR_NONE = 0,
    FCERR_PARSE,           /* request or transaction JSON malformed */
    FCERR_VALIDATE,        /* transaction / operation validate() rules */
    FCERR_SIGNATURE,       /* bad header, not canonical, not recoverable */
    FCERR_DUP_SIG,         /* tx_duplicate_sig */
    FCERR_SIZE,            /* 1 MiB push limit or maximum_transaction_size */
    FCERR_DUP_TX,          /* duplicate_transaction */
    FCERR_MISSING_AUTH,    /* tx_missing_active_auth */
    FCERR_IRRELEVANT_SIG,  /* tx_irrelevant_sig */
    FCERR_TAPOS,           /* ref_block_prefix mismatch */
    FCERR_EXPIRED,         /* now <= trx.expiration failed */
    FCERR_EXPIRATION_FAR,  /* beyond maximum_time_until_expiration */
    FCERR_FEE,             /* insufficient_fee */
    FCERR_BALANCE,         /* insufficient balance */
    FCERR_UNKNOWN_OBJECT,  /* account or asset does not exist */
    FCERR_EVALUATE,        /* other evaluator rules */
    FCERR_QUEUE_FULL,      /* devnode's pending bound */
    FCERR_API,             /* unknown method/api, bad arguments */
    FCERR_NREASONS
};

/* Short name of a reason for the status line ("tapos", "dup_tx", ...). */
const char *fcerr_reason_name(enum fcerr_reason r);

struct fcerr {
    enum fcerr_reason reason;
    int64_t code;     /* error.code of the reply: the fc code, or -32601 */
    int64_t fc_code;  /* data.code: the fc exception's own code */
    const char *name; /* "assert_exception" */
    const char *what; /* "Assert Exception" */
    const char *method; /* node function that raised it, for the context */
    const char *file;
    int line;
    char format[512];  /* fc format string with ${placeholders} */
    char message[768]; /* the format with the data substituted */
    char data[1536];   /* JSON object text of the log entry's data */
};

/* An FC_ASSERT failure (code 10, assert_exception): format is the
 * assertion text "EXPR: MSG"; message is printf-formatted. data is "{}". */
void fcerr_assert(struct fcerr *e, enum fcerr_reason r, const char *method, const char *file,
                  int line, const char *format, const char *msgfmt, ...)
    __attribute__((format(printf, 7, 8)));

/* Any other fc exception (GRAPHENE_ASSERT / FC_THROW_EXCEPTION). */
void fcerr_throw(struct fcerr *e, enum fcerr_reason r, int64_t code, const char *name,
                 const char *what, const char *method, const char *file, int line,
                 const char *format, const char *msgfmt, ...)
    __attribute__((format(printf, 10, 11)));

/* Replaces the data object text (printf-formatted JSON object). */
void fcerr_data(struct fcerr *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define FCERR_HERE __FILE__, __LINE__

#endif
