/* tickfloor.c - what a 1 ms send tick costs on this host before the beacon
 * does anything: a thread that sleeps to each tick (clock_nanosleep, as
 * beacon/wsc.c does), polls its socket and reads what is there, with and
 * without sending one 486-byte frame per tick to a loopback peer that
 * answers each with 26 bytes (a transfer and its ack). Prints the process
 * CPU per tick for both. A calibration for bench_efficiency.sh, not a
 * target: at 1,000 tx/s and a 1 ms tick every transaction has a wakeup of
 * its own, so this is the floor of the sending thread's cost per
 * transaction there. Args: [TICKS] (default 3000). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FRAME 486
#define ACK 26

static double cpu_us(void)
{
    struct rusage r;

    getrusage(RUSAGE_THREAD, &r);
    return (double)(r.ru_utime.tv_sec + r.ru_stime.tv_sec) * 1e6 +
           (double)(r.ru_utime.tv_usec + r.ru_stime.tv_usec);
}

/* The peer: one ack per whole frame received, until the sender closes. */
static void peer(int l)
{
    int c = accept(l, NULL, NULL);
    char buf[65536], ack[ACK];
    size_t pending = 0;

    memset(ack, 'a', sizeof(ack));
    for (;;) {
        ssize_t r = recv(c, buf, sizeof(buf), 0);

        if (r <= 0)
            _exit(0);
        for (pending += (size_t)r; pending >= FRAME; pending -= FRAME)
            send(c, ack, sizeof(ack), MSG_NOSIGNAL);
    }
}

static double run(int s, int ticks, int send_frame)
{
    char frame[FRAME], buf[65536];
    struct timespec t;
    double c0;

    memset(frame, 'x', sizeof(frame));
    clock_gettime(CLOCK_MONOTONIC, &t);
    c0 = cpu_us();
    for (int i = 0; i < ticks; i++) {
        struct pollfd p = {.fd = s, .events = POLLIN};

        t.tv_nsec += 1000000;
        if (t.tv_nsec >= 1000000000) {
            t.tv_sec++;
            t.tv_nsec -= 1000000000;
        }
        clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL);
        if (poll(&p, 1, 0) > 0 && (p.revents & POLLIN))
            recv(s, buf, sizeof(buf), MSG_DONTWAIT);
        if (send_frame)
            send(s, frame, sizeof(frame), MSG_NOSIGNAL);
    }
    return (cpu_us() - c0) / ticks;
}

int main(int argc, char **argv)
{
    int ticks = argc > 1 ? atoi(argv[1]) : 3000, one = 1;
    int l = socket(AF_INET, SOCK_STREAM, 0), s;
    struct sockaddr_in sa = {.sin_family = AF_INET};
    socklen_t sl = sizeof(sa);
    double idle, busy;

    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (l < 0 || ticks <= 0 || bind(l, (struct sockaddr *)&sa, sizeof(sa)) ||
        listen(l, 1) || getsockname(l, (struct sockaddr *)&sa, &sl)) {
        perror("tickfloor: listen on 127.0.0.1");
        return 2;
    }
    if (fork() == 0)
        peer(l);
    s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0 || connect(s, (struct sockaddr *)&sa, sizeof(sa))) {
        perror("tickfloor: connect");
        return 2;
    }
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    idle = run(s, ticks, 0);
    busy = run(s, ticks, 1);
    printf("tick floor: %.1f us CPU per 1 ms wakeup (sleep, poll); %.1f us with one frame sent "
           "and its ack read\n", idle, busy);
    close(s);
    wait(NULL);
    return 0;
}
