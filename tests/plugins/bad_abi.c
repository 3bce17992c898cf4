/*
 * bad_abi.c -> kb_bad_abi.so: kbench_plugin() returns a descriptor that claims
 * ABI version 999 and is garbage everywhere else.  The loader must read
 * abi_version, reject the plugin ("ABI version 999, but this kbench speaks
 * version 1") and touch nothing else: the name and kernel pointers below
 * point at unmapped low addresses, so a loader that reads them crashes.
 */
#include <stdint.h>

#include <kbench/plugin.h>

static const kb_plugin bad_abi_plugin = {
    .abi_version = 999u,
    .struct_size = 0xDEADBEEFu,
    .name = (const char *)(uintptr_t)0x10,     /* garbage: never dereference */
    .version = (const char *)(uintptr_t)0x20,  /* garbage */
    .backend = (const char *)(uintptr_t)0x30,  /* garbage */
    .description = NULL,
    .init = NULL,
    .fini = NULL,
    .kernel_count = 0xFFFFFFFFu,                /* garbage */
    .kernels = (const kb_kernel *)(uintptr_t)0x40, /* garbage */
};

KB_PLUGIN_ENTRY
{
    return &bad_abi_plugin;
}
