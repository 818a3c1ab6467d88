/* local.c - see local.h. */
#include "local.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "timefmt.h"

struct local {
    pid_t pids[2 * LOCAL_MAX];
    size_t npids;
    pid_t beacon_pids[LOCAL_MAX];
    char *urls[LOCAL_MAX];
    size_t nurls;
};

/* Looks for a sibling program: $ENV, then next to the overseer, then the
 * build tree layout (overseer/overseer beside beacon/beacon). */
static int local_find(const char *name, const char *env, char *out, size_t cap, char *err)
{
    char self[PATH_MAX], *slash;
    const char *e = getenv(env);
    ssize_t n;

    if (e != NULL && e[0] != '\0') {
        if ((size_t)snprintf(out, cap, "%s", e) >= cap)
            return err_set(err, "$%s is too long", env);
        return access(out, X_OK) == 0 ? 0 : err_set(err, "$%s=%s is not executable", env, e);
    }
    n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n < 0)
        return err_set(err, "cannot find my own path: %s", strerror(errno));
    self[n] = '\0';
    slash = strrchr(self, '/');
    if (slash != NULL)
        *slash = '\0';
    if ((size_t)snprintf(out, cap, "%s/%s", self, name) < cap && access(out, X_OK) == 0)
        return 0;
    if ((size_t)snprintf(out, cap, "%s/../%s/%s", self, name, name) < cap && access(out, X_OK) == 0)
        return 0;
    return err_set(err, "cannot find the %s program next to the overseer (%s) nor in the build "
                   "tree; set $%s", name, self, env);
}

/* Starts argv with stdout and stderr to log; the child dies with us. */
static pid_t local_spawn(char *const argv[], const char *log, char *err)
{
    pid_t parent = getpid(), pid;
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

    if (fd < 0) {
        err_set(err, "cannot write %s: %s", log, strerror(errno));
        return -1;
    }
    pid = fork();
    if (pid < 0) {
        close(fd);
        err_set(err, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != parent)
            _exit(127); /* the overseer died before we got here */
        /* Its own process group: Ctrl-C reaches the overseer, which then
         * stops the children in order. */
        setpgid(0, 0);
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execv(argv[0], argv);
        fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    return pid;
}

/* Waits for "listening on URL" in a devnode's log. */
static char *local_wait_url(const char *log, pid_t pid, char *err)
{
    uint64_t deadline = timefmt_mono_ns() + 10000000000u;
    char line[512];

    while (timefmt_mono_ns() < deadline) {
        FILE *f = fopen(log, "r");
        int status;

        if (f != NULL) {
            while (fgets(line, sizeof line, f) != NULL)
                if (strncmp(line, "listening on ", 13) == 0) {
                    fclose(f);
                    line[strcspn(line, "\r\n")] = '\0';
                    return strdup(line + 13);
                }
            fclose(f);
        }
        if (waitpid(pid, &status, WNOHANG) == pid) {
            err_set(err, "devnode exited before listening; see %s", log);
            return NULL;
        }
        struct timespec ts = {0, 20000000};
        nanosleep(&ts, NULL);
    }
    err_set(err, "devnode did not start listening within 10 s; see %s", log);
    return NULL;
}

struct local *local_start(const struct local_config *cfg, char *err)
{
    struct local *l = calloc(1, sizeof *l);
    char beacon[PATH_MAX], devnode[PATH_MAX], log[PATH_MAX], num[7][32], key[PATH_MAX], id[64];

    if (l == NULL) {
        err_set(err, "out of memory");
        return NULL;
    }
    if (cfg->ndevnodes == 0 || cfg->ndevnodes > LOCAL_MAX || cfg->nbeacons > LOCAL_MAX) {
        err_set(err, "local runs take 1..%d devnodes and at most %d beacons", LOCAL_MAX, LOCAL_MAX);
        goto fail;
    }
    if (local_find("devnode", "BSS_DEVNODE", devnode, sizeof devnode, err) < 0 ||
        local_find("beacon", "BSS_BEACON", beacon, sizeof beacon, err) < 0)
        goto fail;
    for (unsigned i = 0; i < cfg->ndevnodes; i++) {
        char *argv[32];
        int k = 0;
        pid_t pid;

        argv[k++] = devnode;
        argv[k++] = "--listen";
        argv[k++] = "127.0.0.1:0";
        argv[k++] = "--accounts";
        argv[k++] = (char *)cfg->accounts;
        argv[k++] = "--shared-block-ids"; /* one network: TaPoS holds on every devnode */
        argv[k++] = "--stats-json";       /* per-node load, per second, in its log */
        if (cfg->block_interval > 0) {
            snprintf(num[0], sizeof num[0], "%g", cfg->block_interval);
            argv[k++] = "--block-interval";
            argv[k++] = num[0];
        }
        if (cfg->capacity > 0) {
            snprintf(num[1], sizeof num[1], "%g", cfg->capacity);
            argv[k++] = "--capacity";
            argv[k++] = num[1];
        }
        if (cfg->max_tx_size > 0) {
            snprintf(num[2], sizeof num[2], "%u", cfg->max_tx_size);
            argv[k++] = "--max-tx-size";
            argv[k++] = num[2];
        }
        if (cfg->max_block_size > 0) {
            snprintf(num[4], sizeof num[4], "%u", cfg->max_block_size);
            argv[k++] = "--max-block-size";
            argv[k++] = num[4];
        }
        if (cfg->capacity_ops > 0) {
            snprintf(num[5], sizeof num[5], "%g", cfg->capacity_ops);
            argv[k++] = "--capacity-ops";
            argv[k++] = num[5];
        }
        if (cfg->genesis != NULL) {
            argv[k++] = "--genesis";
            argv[k++] = (char *)cfg->genesis;
        }
        if (cfg->max_pending > 0) {
            snprintf(num[6], sizeof num[6], "%llu", cfg->max_pending);
            argv[k++] = "--max-pending";
            argv[k++] = num[6];
        }
        argv[k] = NULL;
        snprintf(log, sizeof log, "%s/devnode-%u.log", cfg->logdir, i + 1);
        pid = local_spawn(argv, log, err);
        if (pid < 0)
            goto fail;
        l->pids[l->npids++] = pid;
        if ((l->urls[l->nurls] = local_wait_url(log, pid, err)) == NULL)
            goto fail;
        l->nurls++;
    }
    for (unsigned i = 0; i < cfg->nbeacons; i++) {
        char *argv[16];
        int k = 0;
        pid_t pid;

        snprintf(id, sizeof id, "local-%u", i + 1);
        argv[k++] = beacon;
        argv[k++] = "--overseer";
        argv[k++] = (char *)cfg->endpoint;
        argv[k++] = "--id";
        argv[k++] = id;
        if (cfg->insecure) {
            argv[k++] = "--insecure";
        } else {
            snprintf(key, sizeof key, cfg->beacon_key_fmt, i + 1);
            argv[k++] = "--overseer-key";
            argv[k++] = (char *)cfg->overseer_pub;
            argv[k++] = "--key";
            argv[k++] = key;
        }
        if (cfg->beacon_threads > 0) {
            snprintf(num[3], sizeof num[3], "%u", cfg->beacon_threads);
            argv[k++] = "--threads";
            argv[k++] = num[3];
        }
        argv[k] = NULL;
        snprintf(log, sizeof log, "%s/beacon-%u.log", cfg->logdir, i + 1);
        pid = local_spawn(argv, log, err);
        if (pid < 0)
            goto fail;
        l->pids[l->npids++] = pid;
        l->beacon_pids[i] = pid;
    }
    return l;
fail:
    local_stop(l);
    return NULL;
}

size_t local_nodes(const struct local *l, const char *const **urls)
{
    *urls = (const char *const *)l->urls;
    return l->nurls;
}

int local_kill_beacon(struct local *l, unsigned i)
{
    if (i >= LOCAL_MAX || l->beacon_pids[i] <= 0)
        return -1;
    return kill(l->beacon_pids[i], SIGKILL);
}

void local_stop(struct local *l)
{
    uint64_t deadline;
    size_t left;

    if (l == NULL)
        return;
    /* Beacons first (they say BYE), devnodes after. */
    for (size_t i = l->npids; i-- > 0;)
        if (l->pids[i] > 0)
            kill(l->pids[i], SIGTERM);
    deadline = timefmt_mono_ns() + 5000000000u;
    do {
        left = 0;
        for (size_t i = 0; i < l->npids; i++) {
            int status;
            if (l->pids[i] > 0 && waitpid(l->pids[i], &status, WNOHANG) == 0)
                left++;
            else
                l->pids[i] = 0;
        }
        if (left > 0) {
            struct timespec ts = {0, 20000000};
            nanosleep(&ts, NULL);
        }
    } while (left > 0 && timefmt_mono_ns() < deadline);
    for (size_t i = 0; i < l->npids; i++)
        if (l->pids[i] > 0) {
            kill(l->pids[i], SIGKILL);
            waitpid(l->pids[i], NULL, 0);
        }
    for (size_t i = 0; i < l->nurls; i++)
        free(l->urls[i]);
    free(l);
}
