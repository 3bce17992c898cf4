#include "worker_guard.h"

#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "guarded.h"
#include "worker_proto.h"

static int fault_fd = -1;

static size_t put(char *buf, size_t len, size_t cap, const char *s)
{
    while (*s && len + 1 < cap) buf[len++] = *s++;
    buf[len] = '\0';
    return len;
}

static size_t put_hex(char *buf, size_t len, size_t cap, uintptr_t v)
{
    char s[2 + 2 * sizeof v + 1];
    int k = 0;
    s[k++] = '0';
    s[k++] = 'x';
    int started = 0;
    for (int sh = (int)(8 * sizeof v) - 4; sh >= 0; sh -= 4) {
        int d = (int)(v >> sh) & 15;
        if (d || started || sh == 0) {
            s[k++] = "0123456789abcdef"[d];
            started = 1;
        }
    }
    s[k] = '\0';
    return put(buf, len, cap, s);
}

/* Only async-signal-safe calls from here on: no stdio, no malloc. */
static void on_fault(int sig, siginfo_t *si, void *uctx)
{
    (void)uctx;
    char text[400], where[200];
    size_t len = put(text, 0, sizeof text, sig == SIGBUS ? "bus error at " : "invalid access at ");
    len = put_hex(text, len, sizeof text, (uintptr_t)si->si_addr);
    kb_guarded_describe(si->si_addr, where, sizeof where);
    if (where[0]) {
        len = put(text, len, sizeof text, ": ");
        len = put(text, len, sizeof text, where);
    } else if ((uintptr_t)si->si_addr < 4096) {
        len = put(text, len, sizeof text, " (a NULL pointer)");
    }
    /* One frame: length, KB_REPLY_FAULT, then a kb_msg string. */
    unsigned char frame[4 + 4 + 4 + sizeof text];
    uint32_t kind = KB_REPLY_FAULT, slen = (uint32_t)len, flen = 8 + slen;
    memcpy(frame, &flen, 4);
    memcpy(frame + 4, &kind, 4);
    memcpy(frame + 8, &slen, 4);
    memcpy(frame + 12, text, slen);
    if (fault_fd >= 0 && write(fault_fd, frame, 12 + slen) < 0) { /* nothing more to do */ }
    /* SA_RESETHAND restored the default action: returning re-runs the
     * faulting instruction, and the worker dies of the signal. */
    (void)sig;
}

void kb_worker_guard_install(int reply_fd)
{
    fault_fd = reply_fd;
    /* An alternate stack, so that a kernel that overflows its stack is still
     * reported (for the thread that installed it). */
    static char altstack[64 * 1024];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESETHAND;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGSEGV, &sa, NULL);
    sigaction(SIGBUS, &sa, NULL);
}
