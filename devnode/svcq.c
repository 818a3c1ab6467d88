/* svcq.c - see svcq.h. */
#include "svcq.h"

#include <stdlib.h>

#include "jv.h"

/* Budget that may build up while items wait for a late timer tick: enough
 * to absorb a busy event loop, small enough that a stalled process does
 * not apply seconds of work at once when it resumes. */
#define BACKLOG_S 0.1

struct svcq {
    double rate_tx, rate_ops;
    double tok_tx, tok_ops;
    uint64_t last_ns;
    struct svcq_item *head, *tail;
    size_t len;
};

struct svcq *svcq_new(double tx_per_s, double ops_per_s, uint64_t now_ns)
{
    struct svcq *q = calloc(1, sizeof *q);

    if (q == NULL)
        return NULL;
    q->rate_tx = tx_per_s;
    q->rate_ops = ops_per_s;
    q->tok_tx = q->tok_ops = 1;
    q->last_ns = now_ns;
    return q;
}

void svcq_item_free(struct svcq_item *it)
{
    if (it == NULL)
        return;
    jv_free(it->root);
    free(it->id);
    free(it);
}

void svcq_free(struct svcq *q)
{
    if (q == NULL)
        return;
    while (q->head != NULL)
        svcq_item_free(svcq_pop(q));
    free(q);
}

size_t svcq_len(const struct svcq *q)
{
    return q->len;
}

static double refill(double tok, double rate, double dt, bool idle)
{
    double cap;

    if (rate <= 0)
        return 1;
    tok += rate * dt;
    /* Idle: the thread had nothing to do, so the time is not saved up. */
    cap = idle ? 1 : rate * BACKLOG_S;
    if (cap < 1)
        cap = 1;
    return tok > cap ? cap : tok;
}

bool svcq_ready(struct svcq *q, uint64_t now_ns)
{
    if (now_ns > q->last_ns) {
        double dt = (double)(now_ns - q->last_ns) / 1e9;
        q->tok_tx = refill(q->tok_tx, q->rate_tx, dt, q->len == 0);
        q->tok_ops = refill(q->tok_ops, q->rate_ops, dt, q->len == 0);
        q->last_ns = now_ns;
    }
    return q->tok_tx > 0 && q->tok_ops > 0;
}

void svcq_charge(struct svcq *q, uint32_t nops)
{
    if (q->rate_tx > 0)
        q->tok_tx -= 1;
    if (q->rate_ops > 0)
        q->tok_ops -= nops > 0 ? nops : 1;
}

void svcq_push(struct svcq *q, struct svcq_item *it)
{
    it->next = NULL;
    if (q->tail != NULL)
        q->tail->next = it;
    else
        q->head = it;
    q->tail = it;
    q->len++;
}

const struct svcq_item *svcq_peek(const struct svcq *q)
{
    return q->head;
}

struct svcq_item *svcq_pop(struct svcq *q)
{
    struct svcq_item *it = q->head;

    if (it == NULL)
        return NULL;
    q->head = it->next;
    if (q->head == NULL)
        q->tail = NULL;
    q->len--;
    it->next = NULL;
    return it;
}
