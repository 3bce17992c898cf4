#include "guarded.h"

#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Live buffers, for the fault handler and for free.  A fixed table: the
 * handler must not allocate, and a process holds a few dozen buffers. */
#define MAX_LIVE 4096

typedef struct live {
    uintptr_t start, end; /* the usable bytes */
    uintptr_t data_end;   /* the end of what the caller called data */
    const char *name;
} live;

static live table[MAX_LIVE];

/* The guard on each side: 64 KiB of address space, no memory, so that a
 * write a few KiB astray faults too. */
static size_t page_size(void)
{
    static size_t ps;
    if (!ps) ps = (size_t)sysconf(_SC_PAGESIZE);
    return ps;
}

static size_t guard_size(void) { return page_size() < 65536 ? 65536 : page_size(); }

void *kb_guarded_alloc(size_t bytes, size_t data_bytes, const char *name, size_t *usable)
{
    size_t ps = page_size(), gs = guard_size();
    int slot = -1;
    for (int i = 0; i < MAX_LIVE && slot < 0; i++)
        if (!table[i].start) slot = i;
    if (slot < 0) return NULL;
    if (bytes > SIZE_MAX - 2 * gs - ps) return NULL;
    size_t body = (bytes + ps - 1) / ps * ps;
    if (!body) body = ps;
    /* The guards are reserved PROT_NONE, the body opened read-write. */
    char *base = mmap(NULL, body + 2 * gs, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED) return NULL;
    if (mprotect(base + gs, body, PROT_READ | PROT_WRITE)) {
        munmap(base, body + 2 * gs);
        return NULL;
    }
    char *p = base + gs;
    table[slot].name = name;
    table[slot].end = (uintptr_t)p + body;
    table[slot].data_end = (uintptr_t)p + (data_bytes < body ? data_bytes : body);
    table[slot].start = (uintptr_t)p;
    *usable = body;
    return p;
}

void kb_guarded_free(void *p)
{
    if (!p) return;
    size_t gs = guard_size(), body = 0;
    for (int i = 0; i < MAX_LIVE; i++)
        if (table[i].start == (uintptr_t)p) {
            body = table[i].end - table[i].start;
            table[i].start = 0;
            break;
        }
    if (body) munmap((char *)p - gs, body + 2 * gs);
}

/* Append s to buf[*len..n), keeping it NUL-terminated. */
static void put(char *buf, size_t n, size_t *len, const char *s)
{
    while (*s && *len + 1 < n) buf[(*len)++] = *s++;
    buf[*len] = '\0';
}

static void put_num(char *buf, size_t n, size_t *len, uintptr_t v)
{
    char d[24];
    int k = 0;
    do d[k++] = (char)('0' + v % 10); while ((v /= 10) && k < 23);
    char s[24];
    for (int i = 0; i < k; i++) s[i] = d[k - 1 - i];
    s[k] = '\0';
    put(buf, n, len, s);
}

void kb_guarded_describe(const void *addr, char *buf, size_t n)
{
    uintptr_t a = (uintptr_t)addr, gs = guard_size();
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < MAX_LIVE; i++) {
        const live *l = &table[i];
        if (!l->start) continue;
        if (a >= l->end && a < l->end + gs) {
            put_num(buf, n, &len, a - l->data_end);
            put(buf, n, &len, " bytes past the end of tensor ");
        } else if (a < l->start && a >= l->start - gs) {
            put_num(buf, n, &len, l->start - a);
            put(buf, n, &len, " bytes before the start of tensor ");
        } else {
            continue;
        }
        put(buf, n, &len, l->name ? l->name : "?");
        return;
    }
}
