/* dash_feed.h - the run's side of the dashboard: turns the runner's
 * structures (run_impl.h) into dash.h calls. Every function does nothing
 * when the run has no dashboard (r->dash NULL), so the hooks in run.c and
 * phase.c are one line each. Called on the overseer's thread only. */
#ifndef BSS_DASH_FEED_H
#define BSS_DASH_FEED_H

#include "run_impl.h"

/* Starts the dashboard the run's configuration asks for and prints its URL
 * on stderr. With --local's default address, a busy port is said and the
 * run goes on without it. Returns 0, or -1 with err. */
int dash_feed_start(struct run *r, char *err);
/* The run's target nodes are known (r->nodes). */
void dash_feed_nodes(struct run *r);
/* One events.log line. */
void dash_feed_log(struct run *r, const char *text);
/* An event about beacon b (NULL: not about one beacon). */
void dash_feed_beacon(struct run *r, const struct sess_beacon *b, const char *text);
/* Beacon b's interval (phase_on_stats). */
void dash_feed_stats(struct run *r, const struct sess_beacon *b, const struct stats_interval *s);
/* The phase r->phase_id starts (dur_s: its curve's length) or has ended. */
void dash_feed_phase_start(struct run *r, const struct phase_spec *spec, double dur_s);
void dash_feed_phase_end(struct run *r, const struct phase_spec *spec,
                         const struct phase_result *res);
/* One aggregated second, as written to timeseries.csv (alive: beacons alive). */
void dash_feed_second(struct run *r, const struct agg_row *row, unsigned alive);
/* The run is over (report: report.html was written); then serves for the
 * configured hold time or until Ctrl-C, and frees the dashboard. */
void dash_feed_end(struct run *r, const char *result, bool report);

#endif
