#include "ipc.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "clock.h"

/* A frame larger than this is a corrupt length, not a message. */
#define KB_MAX_FRAME ((size_t)1 << 30)

void kb_msg_reset(kb_msg *m)
{
    m->len = m->pos = 0;
    m->bad = 0;
}

void kb_msg_free(kb_msg *m)
{
    free(m->data);
    memset(m, 0, sizeof *m);
}

static int reserve(kb_msg *m, size_t n)
{
    if (m->len + n <= m->cap) return 0;
    size_t cap = m->cap ? m->cap : 256;
    while (cap < m->len + n) cap *= 2;
    unsigned char *d = realloc(m->data, cap);
    if (!d) {
        m->bad = 1;
        return -1;
    }
    m->data = d;
    m->cap = cap;
    return 0;
}

void kb_msg_put(kb_msg *m, const void *p, size_t n)
{
    if (!n || reserve(m, n)) return;
    memcpy(m->data + m->len, p, n);
    m->len += n;
}

void kb_msg_put_u32(kb_msg *m, uint32_t v) { kb_msg_put(m, &v, sizeof v); }

void kb_msg_put_str(kb_msg *m, const char *s)
{
    if (!s) s = "";
    size_t n = strlen(s);
    kb_msg_put_u32(m, (uint32_t)n);
    kb_msg_put(m, s, n);
}

void kb_msg_get(kb_msg *m, void *p, size_t n)
{
    if (m->bad || n > m->len - m->pos) {
        m->bad = 1;
        memset(p, 0, n);
        return;
    }
    memcpy(p, m->data + m->pos, n);
    m->pos += n;
}

uint32_t kb_msg_get_u32(kb_msg *m)
{
    uint32_t v;
    kb_msg_get(m, &v, sizeof v);
    return v;
}

void kb_msg_get_str(kb_msg *m, char *s, size_t cap)
{
    uint32_t n = kb_msg_get_u32(m);
    if (m->bad || n > m->len - m->pos) {
        m->bad = 1;
        if (cap) s[0] = '\0';
        return;
    }
    size_t k = n < cap ? n : cap - 1;
    memcpy(s, m->data + m->pos, k);
    s[k] = '\0';
    m->pos += n;
}

static int write_all(int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n) {
        ssize_t w = write(fd, c, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        c += w;
        n -= (size_t)w;
    }
    return 0;
}

int kb_msg_send(int fd, const kb_msg *m)
{
    uint32_t n = (uint32_t)m->len;
    if (m->bad || m->len > KB_MAX_FRAME) return -1;
    return write_all(fd, &n, sizeof n) || write_all(fd, m->data, m->len) ? -1 : 0;
}

/* Read exactly n bytes before the deadline (0: none). */
static int read_all(int fd, void *p, size_t n, double deadline, int (*interrupted)(void))
{
    char *c = p;
    while (n) {
        int wait_ms = -1;
        if (deadline > 0) {
            double left = deadline - kb_now();
            if (left <= 0) return -2;
            wait_ms = left > 3600 ? 3600000 : (int)(left * 1000) + 1;
        }
        /* Wake up now and then to look at the interrupt flag even when the
         * signal arrived between the check and poll(). */
        if (interrupted && (wait_ms < 0 || wait_ms > 200)) wait_ms = 200;
        struct pollfd pf = {fd, POLLIN, 0};
        int r = poll(&pf, 1, wait_ms);
        if (r < 0 && errno != EINTR) return -1;
        if (interrupted && interrupted()) return -3;
        if (r <= 0) continue;
        ssize_t got = read(fd, c, n);
        if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        if (got <= 0) return -1;
        c += got;
        n -= (size_t)got;
    }
    return 0;
}

int kb_msg_recv(int fd, kb_msg *m, double timeout_s, int (*interrupted)(void))
{
    kb_msg_reset(m);
    double deadline = timeout_s > 0 ? kb_now() + timeout_s : 0;
    uint32_t n;
    int rc = read_all(fd, &n, sizeof n, deadline, interrupted);
    if (rc) return rc;
    if (n > KB_MAX_FRAME || reserve(m, n)) return -1;
    rc = read_all(fd, m->data, n, deadline, interrupted);
    if (rc) return rc;
    m->len = n;
    return 0;
}
