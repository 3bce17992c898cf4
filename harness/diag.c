#include "diag.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static void vline(const char *prefix, const char *fmt, va_list ap)
{
    fflush(stdout); /* keep stdout and stderr in order on a terminal */
    fprintf(stderr, "kbench: %s", prefix);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void kb_usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("", fmt, ap);
    va_end(ap);
    exit(KB_EXIT_USAGE);
}

void kb_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("warning: ", fmt, ap);
    va_end(ap);
}

void kb_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vline("", fmt, ap);
    va_end(ap);
}
