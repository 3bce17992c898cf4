/*
 * plain_softmax.h - the correct f32 softmax (ops.h's edge rules included)
 * that several test plugins need around their own planted behaviour.  Data
 * pointers are used as given, so a device plugin that keeps "device" memory
 * in host memory can call it too.
 */
#ifndef KBENCH_TEST_PLAIN_SOFTMAX_H
#define KBENCH_TEST_PLAIN_SOFTMAX_H

#include <math.h>

#include <kbench/ops.h>

static inline void kb_test_plain_softmax(const kb_softmax_params *s)
{
    for (int64_t r = 0; r < s->rows; r++) {
        const float *x = (const float *)s->x.data + r * s->x.strides[0];
        float *y = (float *)s->y.data + r * s->y.strides[0];
        double m = -INFINITY, sum = 0;
        int bad = 0; /* NaN or +inf in the row: NaN everywhere */
        for (int64_t c = 0; c < s->cols; c++) {
            double v = (double)s->scale * x[c];
            if (isnan(v) || v == INFINITY) bad = 1;
            if (v > m) m = v;
        }
        for (int64_t c = 0; c < s->cols && m > -INFINITY; c++) sum += exp((double)s->scale * x[c] - m);
        for (int64_t c = 0; c < s->cols; c++) {
            double v = (double)s->scale * x[c] - m;
            y[c] = (float)(bad ? NAN : m == -INFINITY ? (s->log_softmax ? -INFINITY : 0.0) /* all -inf */
                           : s->log_softmax ? v - log(sum) : exp(v) / sum);
        }
    }
}

#endif
