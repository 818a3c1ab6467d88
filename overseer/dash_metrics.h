/* dash_metrics.h - the dashboard's /metrics: Prometheus text exposition
 * format 0.0.4 of a struct dash_state. Names follow Prometheus' conventions:
 * prefix bss_, base units (seconds, bytes, ratios 0..1), counters end in
 * _total. Run totals are counters per beacon (label beacon) and per target
 * node (label node); sum them for the run. The families, in order:
 *
 *  bss_run_elapsed_seconds, bss_run_ended, bss_beacons_alive,
 *  bss_phase_number, bss_verdict{verdict} (1 for the latest second's);
 *  per beacon (counters): bss_{offered,sent,accepted,confirmed,dropped,lost,
 *  late}_transactions_total, bss_{sent,accepted,confirmed}_operations_total,
 *  bss_rejected_transactions_total{reason}, bss_timed_out_transactions_total,
 *  bss_connection_errors_total;
 *  per beacon (gauges): bss_beacon_up{host}, bss_beacon_cpu_ratio (of its
 *  usable cores), bss_beacon_cpu_cores (cores busy), bss_beacon_pool_transactions,
 *  bss_beacon_in_flight_transactions, bss_beacon_resident_memory_bytes;
 *  per node (counters): bss_node_{sent,accepted,rejected,timed_out,
 *  confirmed}_transactions_total, bss_node_connection_errors_total,
 *  bss_node_ack_latency_seconds_total (sum of the answered ones' ack times)
 *  with bss_node_answered_transactions_total (mean = ratio of their rates);
 *  per node (gauges, target-node telemetry of the latest beacon interval
 *  that carried it; no sample for a node that did not answer):
 *  bss_node_head_block, bss_node_irreversible_block, bss_node_behind_blocks,
 *  bss_node_participation_ratio, bss_node_missed_blocks,
 *  bss_node_block_interval_seconds, bss_node_block_fill_ratio,
 *  bss_node_forked, bss_node_stalled (0 or 1);
 *  the latest second (gauges): bss_{target,offered,sent,accepted,rejected,
 *  confirmed}_transactions_per_second, bss_confirmed_operations_per_second,
 *  bss_{pool,in_flight,unconfirmed}_transactions;
 *  histograms over every aggregated second: bss_ack_latency_seconds (due ->
 *  node answer), bss_inclusion_latency_seconds (due -> seen in a block);
 *  per ended phase (gauges, what summary.csv has for its steady-state
 *  window): bss_phase_window_{offered,confirmed}_transactions{phase,number},
 *  bss_phase_window_seconds.
 *
 * Pure. Pointer arguments must not be NULL. */
#ifndef BSS_DASH_METRICS_H
#define BSS_DASH_METRICS_H

#include "dash_model.h"
#include "sbuf.h"

/* The Content-Type of the exposition. */
#define DASH_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* Appends the whole exposition of st to out (every line ends in LF). */
void dash_metrics_render(struct sbuf *out, const struct dash_state *st);

/* Appends s as a label value: backslash, double quote and LF escaped. */
void dash_metrics_label(struct sbuf *out, const char *s);

/* Appends v as a sample value: integers without a fraction, NaN, +Inf and
 * -Inf by their names, anything else with 9 significant digits. */
void dash_metrics_num(struct sbuf *out, double v);

#endif
