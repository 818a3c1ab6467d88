/* run_log.c - what a run says while it runs, and its clock: the console
 * (progress line, log lines), the events log, the dashboard's log feed, and
 * Ctrl-C. Apart from run.c so that the phase runner and the searches
 * (phase.c, search.c), which run.c drives, do not call back into it. */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "dash_feed.h"
#include "run_impl.h"
#include "timefmt.h"

volatile sig_atomic_t run_interrupted;

void run_interrupt(void)
{
    if (run_interrupted < 2)
        run_interrupted++;
}

void run_progress(struct run *r, const char *fmt, ...)
{
    char text[1024];
    va_list ap;

    if (r->cfg->quiet)
        return;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* A terminal gets one line rewritten in place; a log gets a line each. */
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r[%5.0fs] %s   ", run_time(r), text);
    else
        fprintf(stderr, "[%5.0fs] %s\n", run_time(r), text);
    fflush(stderr);
}

double run_time(const struct run *r)
{
    return (double)(timefmt_mono_ns() - r->t0) / 1e9;
}

void run_log(struct run *r, const char *fmt, ...)
{
    char text[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    /* On a terminal the progress line is rewritten in place: start a
     * fresh line over it. */
    fprintf(stderr, "%s[%5.0fs] %s\n", isatty(STDERR_FILENO) ? "\r" : "", run_time(r), text);
    if (r->events != NULL) {
        char stamp[TIMEFMT_LEN];
        timefmt_format(stamp, timefmt_wall_secs());
        fprintf(r->events, "%s %.3f %s\n", stamp, run_time(r), text);
        fflush(r->events);
    }
    dash_feed_log(r, text);
}
