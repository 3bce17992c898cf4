/*
 * no_entry.c -> kb_no_entry.so: a valid shared object that is not a kbench
 * plugin.  It exports a function, but not kbench_plugin().  The loader must
 * dlopen it, fail dlsym("kbench_plugin"), and report this file as "not a kbench
 * plugin: no 'kbench_plugin' symbol" without crashing or giving up on the
 * other plugins.
 */
#include <kbench/plugin.h>

KB_EXPORT int kbench_not_a_plugin(void);

/* Exported (default visibility), so the object has a dynamic symbol table
 * with something in it; only the name is wrong. */
KB_EXPORT int kbench_not_a_plugin(void)
{
    return 42;
}
