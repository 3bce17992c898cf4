/*
 * worker_guard.h - a worker's last words: on SIGSEGV or SIGBUS it writes one
 * KB_REPLY_FAULT frame naming the address (and the tensor, when the address
 * is in a guard page, guarded.h), then dies of the signal as it would have,
 * so kbench reports both the signal and what the kernel touched.
 */
#ifndef KBENCH_HARNESS_WORKER_GUARD_H
#define KBENCH_HARNESS_WORKER_GUARD_H

/* Install the handlers; frames go to reply_fd. */
void kb_worker_guard_install(int reply_fd);

#endif
