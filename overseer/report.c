/* report.c - `overseer report`: loading a results directory and writing
 * report.html (see report.h). The page itself is report_page.c. */
#include "report.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csvout.h"
#include "err.h"
#include "report_impl.h"
#include "stats.h"
#include "timefmt.h"

#define REP_MAX_MANIFEST (16u << 20)
#define REP_MAX_EVENTS (512u << 10) /* the page shows the end of a longer log */

bool rep_jnum(const struct jv *v, double *out)
{
    return jv_double(v, out, NULL) == 0 && isfinite(*out);
}

/* Reads a whole file of at most max bytes; with tail, a longer file gives
 * its last max bytes (*cut says how many were left out). */
static char *slurp(const char *path, size_t max, bool tail, size_t *len, size_t *cut,
                   char *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    long n;
    size_t skip = 0;

    if (f == NULL) {
        err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        err_set(err, "%s: cannot read: %s", path, strerror(errno));
        goto done;
    }
    if ((size_t)n > max) {
        if (!tail) {
            err_set(err, "%s: too large (%ld bytes)", path, n);
            goto done;
        }
        skip = (size_t)n - max;
    }
    if (fseek(f, (long)skip, SEEK_SET) != 0 || (buf = malloc((size_t)n - skip + 1)) == NULL) {
        err_set(err, "%s: cannot read: %s", path, buf ? strerror(errno) : "out of memory");
        goto done;
    }
    if (fread(buf, 1, (size_t)n - skip, f) != (size_t)n - skip) {
        err_set(err, "%s: cannot read: short read", path);
        free(buf);
        buf = NULL;
        goto done;
    }
    buf[(size_t)n - skip] = '\0';
    *len = (size_t)n - skip;
    if (cut != NULL)
        *cut = skip;
done:
    fclose(f);
    return buf;
}

static int load_csv(struct rcsv *c, const char *dir, const char *name, char *err)
{
    char path[4200];

    snprintf(path, sizeof path, "%s/%s", dir, name);
    return rcsv_load(c, path, err);
}

/* Whether the overseer that wrote a "running" manifest is gone: same host,
 * and its pid no longer exists or is another program now. */
static bool writer_gone(const struct jv *man)
{
    const char *host = jv_str(jv_get(man, "host"), NULL);
    char here[256] = "", path[64], comm[64] = "";
    double pid;
    FILE *f;

    gethostname(here, sizeof here - 1);
    if (host == NULL || strcmp(host, here) != 0 || !rep_jnum(jv_get(man, "pid"), &pid) ||
        pid < 1 || pid > 4194304)
        return false;
    if (kill((pid_t)pid, 0) < 0 && errno == ESRCH)
        return true;
    snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
    f = fopen(path, "r");
    if (f == NULL)
        return false;
    if (fgets(comm, sizeof comm, f) == NULL)
        comm[0] = '\0';
    fclose(f);
    return strncmp(comm, "overseer", 8) != 0;
}

/* A manifest still saying "running" whose overseer is gone (killed, or the
 * host lost power) was interrupted: say so in the manifest itself, so that
 * nobody reads the results as a run in progress. */
static int settle_running(struct rep *r, const char *path, char *err)
{
    static const char from[] = "\"result\": \"running\"", to[] = "\"result\": \"interrupted\"";
    const char *res = jv_str(jv_get(r->man, "result"), NULL);
    char *at, *text, tmp[4300];
    size_t len, head;
    FILE *f;

    if (res == NULL || strcmp(res, "running") != 0 || !writer_gone(r->man) ||
        (at = strstr(r->man_text, from)) == NULL)
        return 0;
    len = strlen(r->man_text) - (sizeof from - 1) + (sizeof to - 1);
    if ((text = malloc(len + 1)) == NULL)
        return err_set(err, "out of memory");
    head = (size_t)(at - r->man_text);
    memcpy(text, r->man_text, head);
    memcpy(text + head, to, sizeof to - 1);
    strcpy(text + head + sizeof to - 1, at + sizeof from - 1);
    free(r->man_text);
    r->man_text = text;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL || fwrite(r->man_text, 1, len, f) != len || fclose(f) != 0 ||
        rename(tmp, path) != 0)
        return err_set(err, "%s: cannot mark the run interrupted: %s", path, strerror(errno));
    jv_free(r->man);
    r->man = jv_parse(r->man_text, len, JV_MAX_DEPTH, err);
    return r->man == NULL ? err_prefix(err, "%s", path) : 0;
}

static int load_manifest(struct rep *r, char *err)
{
    char path[4200];
    size_t len;

    snprintf(path, sizeof path, "%s/manifest.json", r->dir);
    r->man_text = slurp(path, REP_MAX_MANIFEST, false, &len, NULL, err);
    if (r->man_text == NULL)
        return -1;
    r->man = jv_parse(r->man_text, len, JV_MAX_DEPTH, err);
    if (r->man == NULL)
        return err_prefix(err, "%s", path);
    if (jv_type(r->man) != JV_OBJECT)
        return err_set(err, "%s: not a JSON object", path);
    return settle_running(r, path, err);
}

/* ---- summary.csv, when the run left none ---- */

/* The phase's per-second rows [a, b) added up into w. */
static int regen_counts(struct rep *r, size_t a, size_t b, struct stats_interval *w,
                        double *cpu, uint32_t *beacons, char *err)
{
    static const struct { const char *col; size_t off; } cols[] = {
        {"offered_tps", offsetof(struct stats_counters, offered)},
        {"sent_tps", offsetof(struct stats_counters, sent)},
        {"sent_ops_ps", offsetof(struct stats_counters, sent_ops)},
        {"accepted_tps", offsetof(struct stats_counters, accepted)},
        {"accepted_ops_ps", offsetof(struct stats_counters, accepted_ops)},
        {"timeouts_tps", offsetof(struct stats_counters, timeouts)},
        {"conn_errors_ps", offsetof(struct stats_counters, conn_errors)},
        {"late_tps", offsetof(struct stats_counters, late)},
        {"dropped_tps", offsetof(struct stats_counters, dropped)},
        {"lost_tps", offsetof(struct stats_counters, lost)},
        {"pool_empty_ps", offsetof(struct stats_counters, pool_empty)},
        {"confirmed_tps", offsetof(struct stats_counters, confirmed)},
        {"confirmed_ops_ps", offsetof(struct stats_counters, confirmed_ops)},
    };
    const double *secs = rcsv_column(&r->ts, "interval_s", err);
    const double *cpuv = rcsv_column(&r->ts, "beacon_cpu_max_pct", err);
    const double *alive = rcsv_column(&r->ts, "beacons_alive", err);
    char name[64];

    if (secs == NULL || cpuv == NULL || alive == NULL)
        return -1;
    for (size_t k = 0; k < sizeof cols / sizeof cols[0] + STATS_REJ_COUNT; k++) {
        const double *v;
        uint64_t *dst;
        double sum = 0;

        if (k < sizeof cols / sizeof cols[0]) {
            v = rcsv_column(&r->ts, cols[k].col, err);
            dst = (uint64_t *)((char *)&w->c + cols[k].off);
        } else {
            size_t j = k - sizeof cols / sizeof cols[0];
            snprintf(name, sizeof name, "rejected_%s_tps", stats_reject_name((enum stats_reject)j));
            v = rcsv_column(&r->ts, name, err);
            dst = &w->c.rejected[j];
        }
        if (v == NULL)
            return -1;
        for (size_t i = a; i < b; i++)
            if (isfinite(v[i]))
                sum += v[i] * (isfinite(secs[i]) && secs[i] > 0 ? secs[i] : 1);
        *dst = sum > 0 ? (uint64_t)llround(sum) : 0;
    }
    for (size_t i = a; i < b; i++) {
        if (isfinite(cpuv[i]) && cpuv[i] > *cpu)
            *cpu = cpuv[i];
        if (isfinite(alive[i]) && alive[i] > *beacons)
            *beacons = (uint32_t)alive[i];
    }
    return 0;
}

/* One summary row per phase of timeseries.csv (consecutive rows of one
 * name), over the phase's whole time. The verdict of a whole phase is the
 * manifest's; steps of a search have none. */
static int regen_summary(struct rep *r, char *err)
{
    const char *note = "regenerated by overseer report from timeseries.csv (summary.csv was "
                       "missing): the whole phase, ramp-up and drain included; no latency "
                       "percentiles (the run's histograms are not kept)";
    const double *t = rcsv_column(&r->ts, "t_s", err);
    const double *secs = rcsv_column(&r->ts, "interval_s", err);
    int pcol = rcsv_find(&r->ts, "phase");
    const struct jv *phases = jv_get(r->man, "phases");
    struct stats_interval *w = malloc(sizeof *w);
    struct csvout *o = NULL;
    const char *prev = NULL;
    size_t top = 0, plen;
    int rc = -1;

    if (w == NULL) {
        err_set(err, "out of memory");
        goto done;
    }
    if (t == NULL || secs == NULL)
        goto done;
    if (pcol < 0) {
        err_set(err, "%s: no column \"phase\"", r->ts.path);
        goto done;
    }
    if ((o = csvout_open(r->dir, CSVOUT_SUMMARY, false, err)) == NULL)
        goto done;
    for (size_t a = 0, b; a < r->ts.nrows; a = b) {
        const char *name = rcsv_cell(&r->ts, a, pcol);
        const char *verdict = NULL;
        struct csvout_summary x = {.phase = name, .note = note};
        double ops = 0, sent = 0;

        for (b = a + 1; b < r->ts.nrows && strcmp(rcsv_cell(&r->ts, b, pcol), name) == 0; b++)
            ;
        if (*name == '\0')
            continue;
        /* The steps of a search ("name@rate") are one phase of the manifest. */
        plen = strcspn(name, "@");
        if (prev == NULL || strcspn(prev, "@") != plen || strncmp(prev, name, plen) != 0)
            top++;
        prev = name;
        if (name[plen] == '\0')
            verdict = jv_str(jv_get(jv_at(phases, top - 1), "verdict"), NULL);
        stats_init(w);
        x.verdict = verdict;
        x.phase_start_s = x.window_start_s = t[a] - (isfinite(secs[a]) ? secs[a] : 1);
        x.phase_end_s = x.window_end_s = t[b - 1];
        if (regen_counts(r, a, b, w, &x.beacon_cpu_max_pct, &x.beacons, err) < 0)
            goto done;
        sent = (double)w->c.sent;
        ops = (double)w->c.sent_ops;
        if (sent > 0 && ops / sent == floor(ops / sent))
            x.ops_per_tx = (uint32_t)(ops / sent);
        if (csvout_summary(o, w, &x, err) < 0)
            goto done;
    }
    rc = 0;
done:
    if (csvout_close(o, rc == 0 ? err : NULL) < 0)
        rc = -1;
    free(w);
    return rc;
}

static int load_summary(struct rep *r, char *err)
{
    char path[4200];
    struct stat st;

    snprintf(path, sizeof path, "%s/summary.csv", r->dir);
    if (stat(path, &st) != 0 && errno == ENOENT) {
        if (regen_summary(r, err) < 0)
            return -1;
        r->sum_regenerated = true;
    }
    return rcsv_load(&r->sum, path, err);
}

/* ---- devnode logs (--local runs) ---- */

/* Counting the seconds a relay link was down while it mattered: from the
 * first second with every link up to the last second with load, that one
 * excluded (the start and the shutdown are not outages). */
struct node_links {
    bool meshed;
    size_t down, down_at_last_load;
};

static int node_push(struct rep_node *n, double t, double applied, double accepted,
                     double rejected, double pending, double head)
{
    if (n->len == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 256;
        double **arr[] = {&n->t, &n->applied_tps, &n->accepted_tps, &n->rejected_tps,
                          &n->pending, &n->head};
        for (size_t i = 0; i < sizeof arr / sizeof arr[0]; i++) {
            double *p = realloc(*arr[i], cap * sizeof *p);
            if (p == NULL)
                return -1;
            *arr[i] = p;
        }
        n->cap = cap;
    }
    n->t[n->len] = t;
    n->applied_tps[n->len] = applied;
    n->accepted_tps[n->len] = accepted;
    n->rejected_tps[n->len] = rejected;
    n->pending[n->len] = pending;
    n->head[n->len] = head;
    n->len++;
    return 0;
}

/* A devnode network's figures of one stats line (absent without --peer).
 * *down: a link was down in this second, counted once the mesh was full. */
static void node_net(struct rep_node *n, const struct jv *j, bool *down)
{
    const char *role = jv_str(jv_get(j, "role"), NULL);
    double v, up;

    *down = false;
    if (role == NULL)
        return;
    n->net = true;
    snprintf(n->role, sizeof n->role, "%s", role);
    if (rep_jnum(jv_get(j, "lib"), &v))
        n->lib = v;
    if (rep_jnum(jv_get(j, "peers"), &v))
        n->peers = v;
    if (rep_jnum(jv_get(j, "relay_queue"), &v) && v > n->relay_queue_max)
        n->relay_queue_max = v;
    if (rep_jnum(jv_get(j, "behind"), &v) && v > n->behind_max)
        n->behind_max = v;
    if (rep_jnum(jv_get(j, "relay_dropped"), &v))
        n->relay_dropped = v;
    if (rep_jnum(jv_get(j, "missed_blocks"), &v))
        n->missed_blocks = v;
    if (rep_jnum(jv_get(j, "relay_too_big_tx"), &v))
        n->too_big_tx = v;
    if (rep_jnum(jv_get(j, "relay_too_big_blocks"), &v))
        n->too_big_blocks = v;
    if (rep_jnum(jv_get(j, "block_id_mismatch"), &v))
        n->id_mismatch = v;
    *down = rep_jnum(jv_get(j, "peers_up"), &up) && up < n->peers;
}

/* One stats line; false when it is not one. */
static bool node_line(struct rep_node *n, const char *line, size_t len, double offset,
                      bool *oom, struct node_links *lk)
{
    struct jv *j = jv_parse(line, len, 8, NULL);
    double t, applied, accepted, rejected, pending, secs, head;
    bool ok = false;

    if (j == NULL)
        return false;
    if (rep_jnum(jv_get(j, "time"), &t) && rep_jnum(jv_get(j, "applied_tx"), &applied) &&
        rep_jnum(jv_get(j, "accepted"), &accepted) && rep_jnum(jv_get(j, "rejected"), &rejected) &&
        rep_jnum(jv_get(j, "pending"), &pending) && rep_jnum(jv_get(j, "interval_s"), &secs) &&
        rep_jnum(jv_get(j, "head_block"), &head)) {
        if (!(secs > 0))
            secs = 1;
        bool down;
        ok = true;
        if (node_push(n, t + offset, applied / secs, accepted / secs, rejected / secs,
                      pending, head) < 0)
            *oom = true;
        node_net(n, j, &down);
        lk->meshed = lk->meshed || (n->net && !down);
        /* Up to (not with) the last second with load: a node's last line
         * is often its shutdown, where the peers stop first. */
        if (applied > 0 || accepted > 0)
            lk->down_at_last_load = lk->down;
        if (lk->meshed && down)
            lk->down++;
    }
    jv_free(j);
    return ok;
}

static int node_load(struct rep_node *n, const char *path, double offset, char *err)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    ssize_t len;
    bool oom = false;
    struct node_links lk = {0};

    if (f == NULL)
        return err_set(err, "%s: cannot open: %s", path, strerror(errno));
    while (!oom && (len = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[0] != '{')
            continue;
        if (!node_line(n, line, (size_t)len, offset, &oom, &lk) && n->bad_lines++ == 0)
            n->first_bad = lineno;
    }
    n->links_down_s = lk.down_at_last_load;
    free(line);
    fclose(f);
    return oom ? err_set(err, "%s: out of memory", path) : 0;
}

static int node_cmp(const void *a, const void *b)
{
    const struct rep_node *x = a, *y = b;
    return x->n < y->n ? -1 : x->n > y->n;
}

/* Run time minus Unix time: from the time series' wall clock, else from
 * the manifest's start (the devnodes' logs carry Unix seconds). */
static double time_offset(struct rep *r)
{
    const double *t = rcsv_column(&r->ts, "t_s", NULL);
    const double *wall = rcsv_column(&r->ts, "wall_unix_ms", NULL);
    const char *started = jv_str(jv_get(r->man, "started"), NULL);
    uint32_t secs;

    for (size_t i = 0; t != NULL && wall != NULL && i < r->ts.nrows; i++)
        if (isfinite(t[i]) && isfinite(wall[i]) && wall[i] > 0)
            return t[i] - wall[i] / 1000.0;
    if (started != NULL && timefmt_parse(&secs, started, strlen(started), NULL) == 0)
        return -(double)secs;
    return 0;
}

static int load_nodes(struct rep *r, char *err)
{
    DIR *d = opendir(r->dir);
    struct dirent *e;
    double offset;
    size_t cap = 0;
    int rc = -1;

    if (d == NULL)
        return err_set(err, "%s: cannot list: %s", r->dir, strerror(errno));
    while ((e = readdir(d)) != NULL) {
        unsigned n;
        char check[64];
        if (sscanf(e->d_name, "devnode-%u.log", &n) != 1 || n == 0)
            continue;
        snprintf(check, sizeof check, "devnode-%u.log", n);
        if (strcmp(check, e->d_name) != 0)
            continue;
        if (r->nnodes == cap) {
            size_t ncap = cap ? cap * 2 : 8;
            struct rep_node *p = realloc(r->nodes, ncap * sizeof *p);
            if (p == NULL) {
                err_set(err, "out of memory");
                goto done;
            }
            r->nodes = p;
            cap = ncap;
        }
        r->nodes[r->nnodes++] = (struct rep_node){.n = n};
    }
    /* readdir's order is the file system's: sort, so the page is the same. */
    if (r->nnodes > 1)
        qsort(r->nodes, r->nnodes, sizeof *r->nodes, node_cmp);
    offset = time_offset(r);
    for (size_t i = 0; i < r->nnodes; i++) {
        char path[4200];
        snprintf(path, sizeof path, "%s/devnode-%u.log", r->dir, r->nodes[i].n);
        if (node_load(&r->nodes[i], path, offset, err) < 0)
            goto done;
    }
    rc = 0;
done:
    closedir(d);
    return rc;
}

static void load_events(struct rep *r)
{
    char path[4200];
    size_t cut = 0;

    snprintf(path, sizeof path, "%s/events.log", r->dir);
    r->events = slurp(path, REP_MAX_EVENTS, true, &r->events_len, &cut, NULL);
    if (r->events != NULL && cut > 0) {
        /* Start at a whole line. */
        char *nl = memchr(r->events, '\n', r->events_len);
        size_t skip = nl ? (size_t)(nl - r->events) + 1 : 0;
        memmove(r->events, r->events + skip, r->events_len - skip + 1);
        r->events_len -= skip;
    }
}

static int write_file(const char *dir, const struct sbuf *page, char *err)
{
    char path[4200], tmp[4300];
    FILE *f;

    snprintf(path, sizeof path, "%s/report.html", dir);
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        return err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
    if (fwrite(page->buf, 1, page->len, f) != page->len || fclose(f) != 0) {
        int e = errno;
        remove(tmp);
        return err_set(err, "%s: cannot write: %s", tmp, strerror(e));
    }
    if (rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return err_set(err, "%s: cannot rename to report.html: %s", tmp, strerror(e));
    }
    return 0;
}

int report_write(const char *dir, char *err)
{
    struct rep r = {.dir = dir};
    char path[4200];
    struct sbuf page;
    struct stat st;
    int rc = -1;

    sbuf_init(&page);
    if (stat(dir, &st) != 0) {
        err_set(err, "%s: %s", dir, strerror(errno));
        goto done;
    }
    if (!S_ISDIR(st.st_mode)) {
        err_set(err, "%s: not a directory", dir);
        goto done;
    }
    if (load_csv(&r.ts, dir, "timeseries.csv", err) < 0 ||
        load_csv(&r.bc, dir, "beacons.csv", err) < 0 || load_manifest(&r, err) < 0 ||
        load_summary(&r, err) < 0 || load_nodes(&r, err) < 0)
        goto done;
    load_events(&r);
    /* nodes.csv: results written before it existed have none. */
    snprintf(path, sizeof path, "%s/nodes.csv", dir);
    if (access(path, F_OK) == 0) {
        if (load_csv(&r.nd, dir, "nodes.csv", err) < 0)
            goto done;
        r.have_nd = true;
    }
    if (report_page(&r, &page, err) < 0)
        goto done;
    if (page.overflow) {
        err_set(err, "%s/report.html: out of memory", dir);
        goto done;
    }
    rc = write_file(dir, &page, err);
done:
    sbuf_free(&page);
    rcsv_free(&r.ts);
    rcsv_free(&r.bc);
    rcsv_free(&r.sum);
    rcsv_free(&r.nd);
    jv_free(r.man);
    free(r.man_text);
    for (size_t i = 0; i < r.nnodes; i++) {
        free(r.nodes[i].t);
        free(r.nodes[i].applied_tps);
        free(r.nodes[i].accepted_tps);
        free(r.nodes[i].rejected_tps);
        free(r.nodes[i].pending);
        free(r.nodes[i].head);
    }
    free(r.nodes);
    free(r.events);
    return rc;
}
