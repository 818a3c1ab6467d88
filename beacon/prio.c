/* prio.c - see prio.h. */
#include "prio.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "err.h"

/* glibc 2.36 has no wrapper for sched_setattr: the kernel's struct
 * (include/uapi/linux/sched/types.h, SCHED_ATTR_SIZE_VER1). */
struct prio_sched_attr {
    uint32_t size;
    uint32_t sched_policy;
    uint64_t sched_flags;
    int32_t sched_nice;
    uint32_t sched_priority;
    uint64_t sched_runtime;
    uint64_t sched_deadline;
    uint64_t sched_period;
    uint32_t sched_util_min;
    uint32_t sched_util_max;
};

int prio_latency_thread(char *err)
{
    struct prio_sched_attr a;
    int nice;

    /* A 50 µs slack is the default: every timed sleep would end that late. */
    if (prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL) != 0)
        return err_set(err, "timer slack: %s", strerror(errno));
    if (sched_getscheduler(0) != SCHED_OTHER)
        return 0; /* the user chose a policy (e.g. chrt -f): keep it */
    errno = 0;
    nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (nice == -1 && errno != 0)
        return err_set(err, "getpriority: %s", strerror(errno));
    memset(&a, 0, sizeof a);
    a.size = sizeof a;
    a.sched_policy = SCHED_OTHER;
    a.sched_nice = nice; /* sched_setattr sets nice too: keep the thread's */
    a.sched_runtime = PRIO_SLICE_NS;
    if (syscall(SYS_sched_setattr, 0, &a, 0u) != 0)
        return err_set(err, "scheduler slice of %u µs: %s", PRIO_SLICE_NS / 1000u,
                       strerror(errno));
    return 0;
}

int prio_throughput_thread(char *err)
{
    int nice;

    errno = 0;
    nice = getpriority(PRIO_PROCESS, (id_t)gettid());
    if (nice == -1 && errno != 0)
        return err_set(err, "getpriority: %s", strerror(errno));
    /* Linux applies nice per thread (the tid as PRIO_PROCESS). */
    if (setpriority(PRIO_PROCESS, (id_t)gettid(), nice + PRIO_THROUGHPUT_NICE) != 0)
        return err_set(err, "nice %+d: %s", PRIO_THROUGHPUT_NICE, strerror(errno));
    return 0;
}
