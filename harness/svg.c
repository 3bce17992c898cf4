/*
 * svg.c - the SVG writer of svg.h.  Coordinates are printed with one decimal:
 * enough for a screen, and the files stay small.
 */
#include "svg.h"

#include <math.h>
#include <string.h>

double kb_svg_map(const kb_svg_scale *s, double v)
{
    double lo = s->lo, hi = s->hi;
    if (s->log) {
        v = v > 0 ? log10(v) : log10(lo);
        lo = log10(lo);
        hi = log10(hi);
    }
    if (v < lo) v = lo;
    if (v > hi) v = hi;
    double t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    return s->px0 + t * (s->px1 - s->px0);
}

void kb_svg_log_decades(double *lo, double *hi)
{
    if (!(*lo > 0)) *lo = 1e-3;
    if (!(*hi > *lo)) *hi = *lo * 10;
    *lo = pow(10, floor(log10(*lo)));
    *hi = pow(10, ceil(log10(*hi)));
    if (*hi <= *lo) *hi = *lo * 10;
}

void kb_svg_escape(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

void kb_svg_open(FILE *f, int w, int h, const char *label)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" "
               "role=\"img\" aria-label=\"",
            w, h, w, h);
    kb_svg_escape(f, label);
    fputs("\" font-family=\"sans-serif\">\n", f);
}

void kb_svg_close(FILE *f) { fputs("</svg>\n", f); }

void kb_svg_format(char *buf, size_t n, double v)
{
    double a = fabs(v);
    if (!isfinite(v)) snprintf(buf, n, "-");
    else if (a >= 1e9) snprintf(buf, n, "%.3gG", v / 1e9);
    else if (a >= 1e6) snprintf(buf, n, "%.3gM", v / 1e6);
    else if (a >= 1e4) snprintf(buf, n, "%.3gk", v / 1e3);
    else if (a >= 100) snprintf(buf, n, "%.0f", v);
    else snprintf(buf, n, "%.3g", v);
}

/* Tick values of a scale: decades for log, 1-2-5 steps for linear. */
static int ticks(const kb_svg_scale *s, double *out, int max)
{
    int n = 0;
    if (s->log) {
        for (double d = pow(10, ceil(log10(s->lo) - 1e-9)); d <= s->hi * (1 + 1e-9) && n < max; d *= 10)
            out[n++] = d;
        return n;
    }
    double span = s->hi - s->lo;
    if (!(span > 0)) {
        out[0] = s->lo;
        return 1;
    }
    double step = pow(10, floor(log10(span / 5)));
    if (span / step > 10) step *= 2;
    if (span / step > 10) step *= 2.5;
    for (double v = ceil(s->lo / step) * step; v <= s->hi + step * 1e-9 && n < max; v += step)
        out[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

void kb_svg_axis_x(FILE *f, const kb_svg_scale *x, double y, double grid_top, const char *title)
{
    double t[64];
    int n = ticks(x, t, 64);
    for (int i = 0; i < n; i++) {
        char b[32];
        double px = kb_svg_map(x, t[i]);
        kb_svg_line(f, px, grid_top, px, y, "#ddd", 1, NULL);
        kb_svg_line(f, px, y, px, y + 5, "#333", 1, NULL);
        kb_svg_format(b, sizeof b, t[i]);
        kb_svg_text(f, px, y + 17, "middle", 11, "#333", b);
    }
    kb_svg_line(f, x->px0, y, x->px1, y, "#333", 1, NULL);
    kb_svg_text(f, (x->px0 + x->px1) / 2, y + 34, "middle", 12, "#000", title);
}

void kb_svg_axis_y(FILE *f, const kb_svg_scale *y, double x, double grid_right, const char *title)
{
    double t[64];
    int n = ticks(y, t, 64);
    for (int i = 0; i < n; i++) {
        char b[32];
        double py = kb_svg_map(y, t[i]);
        kb_svg_line(f, x, py, grid_right, py, "#ddd", 1, NULL);
        kb_svg_line(f, x - 5, py, x, py, "#333", 1, NULL);
        kb_svg_format(b, sizeof b, t[i]);
        kb_svg_text(f, x - 8, py + 4, "end", 11, "#333", b);
    }
    kb_svg_line(f, x, y->px0, x, y->px1, "#333", 1, NULL);
    double cy = (y->px0 + y->px1) / 2;
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"12\" "
               "transform=\"rotate(-90 %.1f %.1f)\">",
            x - 48, cy, x - 48, cy);
    kb_svg_escape(f, title);
    fputs("</text>\n", f);
}

void kb_svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *color, double width,
                 const char *dash)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" stroke-width=\"%.1f\"", x1, y1,
            x2, y2, color, width);
    if (dash) fprintf(f, " stroke-dasharray=\"%s\"", dash);
    fputs("/>\n", f);
}

static void title(FILE *f, const char *tooltip)
{
    if (!tooltip) return;
    fputs("<title>", f);
    kb_svg_escape(f, tooltip);
    fputs("</title>", f);
}

void kb_svg_point(FILE *f, double x, double y, double r, const char *color, const char *tooltip)
{
    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" fill=\"%s\" fill-opacity=\"0.8\" stroke=\"#000\" "
               "stroke-width=\"0.5\">",
            x, y, r, color);
    title(f, tooltip);
    fputs("</circle>\n", f);
}

void kb_svg_rect(FILE *f, double x, double y, double w, double h, const char *color, const char *tooltip)
{
    if (w < 0) x += w, w = -w;
    if (h < 0) y += h, h = -h;
    fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\">", x, y, w, h, color);
    title(f, tooltip);
    fputs("</rect>\n", f);
}

void kb_svg_text(FILE *f, double x, double y, const char *anchor, double size, const char *color,
                 const char *text)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.0f\" fill=\"%s\">", x, y, anchor,
            size, color);
    kb_svg_escape(f, text);
    fputs("</text>\n", f);
}

const char *kb_svg_color(int i)
{
    /* Tableau 10: tells ten series apart, also in greyscale print reasonably. */
    static const char *const c[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    if (i < 0) i = -i;
    return c[i % 10];
}
