/* local.c - see local.h. */
#include "local.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
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
    bool network;              /* the devnodes relay: one chain */
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

/* Reserves n distinct free loopback ports: all n sockets are bound at once
 * (so the kernel gives n different ports), then closed for the devnodes to
 * take. Another program may take one in between: the caller retries. */
static int local_pick_ports(unsigned n, int *ports, char *err)
{
    int fds[LOCAL_MAX], rc = -1;
    unsigned k = 0;

    for (; k < n; k++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
        socklen_t len = sizeof a;

        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        fds[k] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[k] < 0 || bind(fds[k], (struct sockaddr *)&a, sizeof a) < 0 ||
            getsockname(fds[k], (struct sockaddr *)&a, &len) < 0) {
            err_set(err, "cannot reserve a loopback port: %s", strerror(errno));
            if (fds[k] >= 0)
                close(fds[k]);
            goto done;
        }
        ports[k] = ntohs(a.sin_port);
    }
    rc = 0;
done:
    while (k-- > 0)
        close(fds[k]);
    return rc;
}

/* devnode i's argv into argv (room for 40 + 2 * LOCAL_MAX entries), its
 * numbers written into num, its peers' addresses into peers. ports: the
 * network's ports (then node i gets every other node as --peer and is
 * witness i + 1 of a schedule of ndevnodes witnesses), or NULL for an
 * independent devnode. */
static void local_devnode_argv(const struct local_config *cfg, char *devnode, unsigned i,
                               const int *ports, char *argv[], char num[][32], char *listen,
                               char peers[][32], char wit[][16])
{
    int k = 0;

    argv[k++] = devnode;
    argv[k++] = "--listen";
    argv[k++] = listen;
    argv[k++] = "--accounts";
    argv[k++] = (char *)cfg->accounts;
    argv[k++] = "--shared-block-ids"; /* TaPoS holds on every devnode, network or not */
    argv[k++] = "--stats-json";       /* per-node load, per second, in its log */
    if (cfg->block_interval > 0) {
        snprintf(num[0], 32, "%g", cfg->block_interval);
        argv[k++] = "--block-interval";
        argv[k++] = num[0];
    }
    if (cfg->capacity > 0) {
        snprintf(num[1], 32, "%g", cfg->capacity);
        argv[k++] = "--capacity";
        argv[k++] = num[1];
    }
    if (cfg->max_tx_size > 0) {
        snprintf(num[2], 32, "%u", cfg->max_tx_size);
        argv[k++] = "--max-tx-size";
        argv[k++] = num[2];
    }
    if (cfg->max_block_size > 0) {
        snprintf(num[3], 32, "%u", cfg->max_block_size);
        argv[k++] = "--max-block-size";
        argv[k++] = num[3];
    }
    if (cfg->capacity_ops > 0) {
        snprintf(num[4], 32, "%g", cfg->capacity_ops);
        argv[k++] = "--capacity-ops";
        argv[k++] = num[4];
    }
    if (cfg->genesis != NULL) {
        argv[k++] = "--genesis";
        argv[k++] = (char *)cfg->genesis;
    }
    if (cfg->max_pending > 0) {
        snprintf(num[5], 32, "%llu", cfg->max_pending);
        argv[k++] = "--max-pending";
        argv[k++] = num[5];
    }
    if (ports != NULL) {
        unsigned np = 0;
        for (unsigned j = 0; j < cfg->ndevnodes; j++) {
            if (j == i)
                continue;
            snprintf(peers[np], 32, "127.0.0.1:%d", ports[j]);
            argv[k++] = "--peer";
            argv[k++] = peers[np++];
        }
        /* Every node a witness, in turn (slot S: witness S mod N + 1), as the
         * witnesses of a BitShares network: blocks come from every node,
         * a node that stops misses its slots, and the last irreversible
         * block is graphene's (with 3 nodes, all three must confirm). */
        snprintf(wit[0], 16, "%u", cfg->ndevnodes);
        snprintf(wit[1], 16, "%u", i + 1);
        argv[k++] = "--witnesses";
        argv[k++] = wit[0];
        argv[k++] = "--witness";
        argv[k++] = wit[1];
        if (cfg->relay_latency_set) {
            snprintf(num[6], 32, "%g", cfg->relay_latency);
            argv[k++] = "--relay-latency";
            argv[k++] = num[6];
        }
        if (cfg->relay_bandwidth > 0) {
            snprintf(num[7], 32, "%g", cfg->relay_bandwidth);
            argv[k++] = "--relay-bandwidth";
            argv[k++] = num[7];
        }
    }
    argv[k] = NULL;
}

/* The peers_up of the last stats line in a devnode's log, or -1. */
static long local_peers_up(const char *log)
{
    FILE *f = fopen(log, "r");
    char line[4096];
    long up = -1;

    if (f == NULL)
        return -1;
    while (fgets(line, sizeof line, f) != NULL) {
        const char *p = line[0] == '{' ? strstr(line, "\"peers_up\":") : NULL;
        if (p != NULL)
            up = strtol(p + 11, NULL, 10);
    }
    fclose(f);
    return up;
}

/* Stops the devnodes started so far (a failed attempt). */
static void local_stop_devnodes(struct local *l)
{
    for (size_t i = 0; i < l->npids; i++) {
        kill(l->pids[i], SIGKILL);
        waitpid(l->pids[i], NULL, 0);
    }
    l->npids = 0;
    for (size_t i = 0; i < l->nurls; i++)
        free(l->urls[i]);
    l->nurls = 0;
}

/* One attempt at starting the devnodes. Returns 0, -1 (err), or 1 when a
 * devnode exited before listening (its port was taken: worth a retry). */
static int local_start_devnodes(struct local *l, const struct local_config *cfg, char *devnode,
                                char *err)
{
    int ports[LOCAL_MAX];
    bool net = cfg->ndevnodes > 1 && !cfg->independent;
    char log[PATH_MAX];

    if (net && cfg->ndevnodes > LOCAL_NET_MAX)
        return err_set(err, "a devnode network takes at most %d devnodes (devnode takes 16 "
                       "--peer)", LOCAL_NET_MAX);
    if (net && local_pick_ports(cfg->ndevnodes, ports, err) < 0)
        return -1;
    for (unsigned i = 0; i < cfg->ndevnodes; i++) {
        char *argv[40 + 2 * LOCAL_MAX], num[8][32], listen[32], peers[LOCAL_MAX][32],
            wit[2][16];
        pid_t pid;
        int status;

        snprintf(listen, sizeof listen, "127.0.0.1:%d", net ? ports[i] : 0);
        local_devnode_argv(cfg, devnode, i, net ? ports : NULL, argv, num, listen, peers, wit);
        snprintf(log, sizeof log, "%s/devnode-%u.log", cfg->logdir, i + 1);
        pid = local_spawn(argv, log, err);
        if (pid < 0)
            return -1;
        l->pids[l->npids++] = pid;
        if ((l->urls[l->nurls] = local_wait_url(log, pid, err)) == NULL)
            return net && waitpid(pid, &status, WNOHANG) != 0 ? 1 : -1;
        l->nurls++;
    }
    if (!net)
        return 0;
    /* Relays sent while a link is down are dropped: the load starts once
     * every node has a link up to every other. */
    uint64_t deadline = timefmt_mono_ns() + 20000000000u;
    for (unsigned i = 0; i < cfg->ndevnodes;) {
        long up;
        snprintf(log, sizeof log, "%s/devnode-%u.log", cfg->logdir, i + 1);
        up = local_peers_up(log);
        if (up == (long)cfg->ndevnodes - 1) {
            i++;
            continue;
        }
        if (waitpid(l->pids[i], NULL, WNOHANG) != 0)
            return err_set(err, "devnode %u exited while connecting to its peers; see %s", i + 1,
                           log);
        if (timefmt_mono_ns() > deadline)
            return err_set(err, "devnode %u has %ld of its %u peer links up after 20 s; see %s",
                           i + 1, up < 0 ? 0 : up, cfg->ndevnodes - 1, log);
        struct timespec ts = {0, 50000000};
        nanosleep(&ts, NULL);
    }
    l->network = true;
    return 0;
}

struct local *local_start(const struct local_config *cfg, char *err)
{
    struct local *l = calloc(1, sizeof *l);
    char beacon[PATH_MAX], devnode[PATH_MAX], log[PATH_MAX], num[32], key[PATH_MAX], id[64];
    int rc = 1;

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
    for (int attempt = 0; rc == 1 && attempt < 3; attempt++) {
        if (attempt > 0)
            local_stop_devnodes(l);
        rc = local_start_devnodes(l, cfg, devnode, err);
    }
    if (rc != 0)
        goto fail;
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
            snprintf(num, sizeof num, "%u", cfg->beacon_threads);
            argv[k++] = "--threads";
            argv[k++] = num;
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

bool local_network(const struct local *l)
{
    return l != NULL && l->network;
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
