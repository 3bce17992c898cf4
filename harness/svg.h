/*
 * svg.h - a small SVG writer for `kbench report`: linear and log scales,
 * axes with ticks and grid lines, points, bars, lines and escaped text.
 * Everything is written straight to a stream as inline SVG (no scripts, no
 * external references), so the report stays one self-contained file.
 */
#ifndef KBENCH_HARNESS_SVG_H
#define KBENCH_HARNESS_SVG_H

#include <stdio.h>

/* Data [lo, hi] onto pixels [px0, px1]; log scales are base 10 and need lo > 0. */
typedef struct kb_svg_scale {
    double lo, hi;
    int log;
    double px0, px1;
} kb_svg_scale;

/* The pixel of v (clamped to the scale's range). */
double kb_svg_map(const kb_svg_scale *s, double v);

/* Widen [lo, hi] of a log scale to whole decades. */
void kb_svg_log_decades(double *lo, double *hi);

/* Text or an attribute value, with & < > " ' escaped. */
void kb_svg_escape(FILE *f, const char *s);

/* <svg> with a viewBox of w x h and an accessible label; and </svg>. */
void kb_svg_open(FILE *f, int w, int h, const char *label);
void kb_svg_close(FILE *f);

/* The x axis at pixel row y (ticks, grid up to grid_top) and the y axis at
 * pixel column x (grid to grid_right), each with its title. */
void kb_svg_axis_x(FILE *f, const kb_svg_scale *x, double y, double grid_top, const char *title);
void kb_svg_axis_y(FILE *f, const kb_svg_scale *y, double x, double grid_right, const char *title);

void kb_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *color, double width,
                 const char *dash);
/* A circle; tooltip (may be NULL) becomes its <title>. */
void kb_svg_point(FILE *f, double x, double y, double r, const char *color, const char *tooltip);
/* A rectangle (w, h may be given negative: it is normalised). */
void kb_svg_rect(FILE *f, double x, double y, double w, double h, const char *color, const char *tooltip);
/* anchor: "start", "middle" or "end". */
void kb_svg_text(FILE *f, double x, double y, const char *anchor, double size, const char *color,
                 const char *text);

/* A distinct colour for series i (cycles after 10). */
const char *kb_svg_color(int i);

/* A number for a tick or label: 3 significant digits, k/M/G for large, plain for small. */
void kb_svg_format(char *buf, size_t n, double v);

#endif
