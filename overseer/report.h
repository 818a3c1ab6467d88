/* report.h - `overseer report DIR`: the stress-test report of a results
 * directory written by `overseer run`.
 *
 * Reads DIR/timeseries.csv, beacons.csv, summary.csv, manifest.json, and
 * (when present) nodes.csv, events.log and the devnode-N.log files of a
 * --local run,
 * and writes DIR/report.html: one self-contained page (no scripts, no
 * external fonts, styles or images; plots are inline SVG) that opens
 * offline. The page depends only on those files, so writing it again gives
 * the same bytes.
 *
 * summary.csv is the run's own record and is never rewritten; when it is
 * missing it is regenerated from timeseries.csv, one row per phase over the
 * phase's whole time (counts and rates only: latency percentiles of a
 * window need the run's histograms), and the page says so. */
#ifndef BSS_REPORT_H
#define BSS_REPORT_H

/* Writes DIR/report.html (atomically: a temporary file renamed over it).
 * Returns 0, or -1 with err naming the file and what is wrong with it (a
 * missing directory or file, a truncated or damaged CSV, bad JSON). A
 * devnode log line that is not valid JSON is not an error: it is skipped
 * and the page lists it. */
int report_write(const char *dir, char *err);

#endif
