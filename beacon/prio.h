/* prio.h - scheduling hints for the beacon's threads. Sending is latency
 * work and signing is throughput work; when they share cores (always, on a
 * beacon that signs on all of them), the kernel must let the sender run the
 * moment it wakes, and give the signers what is left.
 *
 * Linux only (per-thread attributes of the calling thread). Never fatal:
 * a refused hint costs lateness, not correctness, so callers log the error
 * once and go on. */
#ifndef BSS_PRIO_H
#define BSS_PRIO_H

/* Marks the calling thread latency-sensitive:
 *  - a short scheduler slice (PRIO_SLICE_NS; sched_setattr's sched_runtime
 *    for SCHED_OTHER, honoured by the EEVDF scheduler of Linux 6.12 and
 *    later): a waking thread with a shorter slice preempts the running one
 *    at once, instead of waiting until that one's slice (about 3 ms) ends.
 *    Older kernels accept and ignore it. The thread's policy and nice value
 *    are kept; a thread under another policy (chrt) is left alone.
 *  - a timer slack of 1 ns (PR_SET_TIMERSLACK): timed sleeps end on time
 *    rather than up to 50 µs late.
 * Returns 0, or -1 with err saying which hint the kernel refused and why. */
int prio_latency_thread(char *err);

/* Marks the calling thread as throughput work: its nice value raised by
 * PRIO_THROUGHPUT_NICE (the kernel caps it at 19). Returns 0, or -1 with
 * err. */
int prio_throughput_thread(char *err);

#define PRIO_SLICE_NS 100000u   /* the shortest slice the kernel accepts */
#define PRIO_THROUGHPUT_NICE 10

#endif
