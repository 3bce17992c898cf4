/*
 * ipc.h - messages between kbench and its worker processes (isolate.h):
 * a growable byte buffer with typed put/get, and length-prefixed frames on
 * a pipe.  Both ends are the same binary (the worker is a fork of kbench),
 * so plain structs travel as their bytes.
 */
#ifndef KBENCH_HARNESS_IPC_H
#define KBENCH_HARNESS_IPC_H

#include <stddef.h>
#include <stdint.h>

typedef struct kb_msg {
    unsigned char *data;
    size_t len, cap, pos; /* pos: the read cursor */
    int bad;              /* a get ran past the end, or a put could not grow */
} kb_msg;

void kb_msg_reset(kb_msg *m);
void kb_msg_free(kb_msg *m);

void kb_msg_put(kb_msg *m, const void *p, size_t n);
void kb_msg_put_u32(kb_msg *m, uint32_t v);
void kb_msg_put_str(kb_msg *m, const char *s); /* NULL travels as "" */

/* Reads set m->bad (and return zeros / "") past the end. */
void kb_msg_get(kb_msg *m, void *p, size_t n);
uint32_t kb_msg_get_u32(kb_msg *m);
/* Copies at most cap-1 bytes and NUL-terminates. */
void kb_msg_get_str(kb_msg *m, char *s, size_t cap);

/* Frames: a 4-byte length, then the bytes.  0 on success, -1 on a closed
 * or broken pipe. */
int kb_msg_send(int fd, const kb_msg *m);

/* Receive one frame into m (reset first).  timeout_s <= 0 waits forever.
 * Returns 0, -1 when the pipe closed or broke (the peer died), -2 on
 * timeout, -3 when `interrupted` (may be NULL) returned nonzero while
 * waiting. */
int kb_msg_recv(int fd, kb_msg *m, double timeout_s, int (*interrupted)(void));

#endif
