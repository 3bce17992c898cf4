#include "units.h"

#include <math.h>
#include <stdio.h>

void kb_format_seconds(char *buf, size_t n, double s)
{
    if (isnan(s)) snprintf(buf, n, "-");
    else if (s >= 1) snprintf(buf, n, "%.3f s", s);
    else if (s >= 1e-3) snprintf(buf, n, "%.3f ms", s * 1e3);
    else if (s >= 1e-6) snprintf(buf, n, "%.3f us", s * 1e6);
    else snprintf(buf, n, "%.1f ns", s * 1e9);
}
