#include "interrupt.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t count, first;
static int kill_on_second;

static void on_signal(int sig)
{
    if (!first) first = sig;
    count++;
    if (count == 1) {
        static const char msg[] = "\nkbench: interrupted: finishing the kernel in flight, then writing the results "
                                  "(again to stop at once)\n";
        if (write(2, msg, sizeof msg - 1) < 0) { /* nothing to do */ }
    } else if (kill_on_second) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
}

void kb_interrupt_install(int in_process)
{
    kill_on_second = in_process;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    /* No SA_RESTART: a blocking wait returns EINTR and looks at the flag. */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
}

int kb_interrupted(void) { return count; }
int kb_interrupt_signal(void) { return first; }
int kb_interrupt_hard(void) { return count >= 2; }
int kb_interrupt_exit_code(void) { return 128 + (first ? first : SIGINT); }
