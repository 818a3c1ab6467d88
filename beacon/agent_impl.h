/* agent_impl.h - the agent's internals, shared by agent.c (the agent
 * thread: bus, heartbeats, lease, stats) and agent_job.c (a phase's engine
 * thread). Not a public header. */
#ifndef BSS_AGENT_IMPL_H
#define BSS_AGENT_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "agent.h"
#include "bus.h"
#include "engine.h"
#include "procstat.h"
#include "proto.h"

enum agent_state { ST_IDLE, ST_PREPARING, ST_READY, ST_RUNNING, ST_DRAINING, ST_DONE };

struct agent;

/* One phase: its configuration and its engine thread. */
struct phase_job {
    struct agent *a;
    struct proto_configure conf; /* owns keys_text until the job parses it */
    uint64_t items;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t cv;
    int go;            /* 0 wait, 1 start at start_at, -1 cancel */
    uint64_t start_at;
    struct engine *_Atomic engine;
    atomic_int state;
    atomic_int stop_requests;
    atomic_bool finished; /* DONE posted: only the clean-up is left */
    struct stats_interval total; /* the run's total, kept for DONE */
    uint64_t k_base;   /* transactions this beacon signed in earlier phases */
    uint64_t signed_count; /* and in this one (set when the engine ends) */
    uint32_t verdict;
    char reason[PROTO_STR];
};

struct unacked {
    uint64_t seq;
    uint64_t sent_ns;
    uint8_t *buf;
    size_t len;
};

struct agent {
    const struct agent_config *cfg;
    struct bus *bus;
    char beacon_id[PROTO_STR];
    char host[PROTO_STR];
    uint32_t cores;
    bool welcomed;
    uint64_t last_rx, next_hello, next_hb;
    uint32_t hb_ms, lease_ms;
    uint64_t peer_t; /* overseer's last heartbeat time, echoed back */
    uint64_t peer_t_rx; /* when it arrived: the echo says how long we held it */
    uint64_t seq, acked;
    uint64_t session;  /* random, this process's (hello.session): a restart is a new session */
    uint64_t next_k;   /* index of the next transaction to sign, across phases */
    uint64_t last_resend;
    struct unacked *unacked;
    size_t nunacked, capunacked;
    struct proto_configure *conf; /* received CONFIGURE awaiting PREPARE */
    struct phase_job *job;
    struct procstat_snap ps;
    double cpu_pct;

    pthread_mutex_t out_lock; /* the outbox: messages from the engine thread */
    struct proto_msg **out;
    size_t nout, capout;
};

/* Logs one line with a timestamp to stderr. */
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A new message of type t (malloc'd, proto_init'ed), or NULL. */
struct proto_msg *agent_msg(enum proto_type t);
/* Hands m (malloc'd) to the agent thread for sending; it takes ownership. */
void agent_post(struct agent *a, struct proto_msg *m);

/* agent_job.c */
/* The thread that runs one phase: keys, engine setup, pre-signing, READY,
 * waiting for START, the run, DONE. */
void *job_main(void *arg);
/* Wipes and frees the account keys a CONFIGURE carried. */
void job_wipe_keys(struct proto_configure *c);

#endif
