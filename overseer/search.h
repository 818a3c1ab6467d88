/* search.h - the two searching phase kinds of issue 6, built from runs of
 * phase_run:
 *  - find_limit: steps the offered rate until the network stops keeping up
 *    (accepted or confirmed below offered, ack p99 past a bound, or other
 *    stop_when bounds), optionally refines by bisection, and reports the
 *    highest rate a step sustained (its confirmed rate, accepted and
 *    confirmed close to offered over its steady window); a step with node
 *    evidence (slow acks, sends not accepted) is never taken as
 *    beacon-bound, and a step that lost a beacon is not counted;
 *  - p2p_limit: bisects operations per transaction for the largest
 *    transaction the network accepts, under the smaller of the P2P message
 *    limit and the chain's own maximum_transaction_size / block size
 *    (saying so plainly when the chain caps lower), and reports where and
 *    how rejection starts; then optionally holds that size. */
#ifndef BSS_SEARCH_H
#define BSS_SEARCH_H

#include "run_impl.h"

/* Each returns like phase_run; res describes the whole search (its verdict
 * and reason carry the finding), and a summary row per step plus one for
 * the result are written. */
int search_find_limit(struct run *r, const struct scenario_phase *p, struct phase_result *res,
                      char *err);
int search_p2p_limit(struct run *r, const struct scenario_phase *p, struct phase_result *res,
                     char *err);

#endif
