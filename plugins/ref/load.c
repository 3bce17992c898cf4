/* plugins/ref/load.c - the f16 table behind ref_load() (see ref.h). */
#include <stdlib.h>

#include "ref.h"

kb_status ref_loaders_init(ref_loader *l, int n, const kb_tensor *const *t, char *err, size_t len)
{
    int any_f16 = 0;
    for (int i = 0; i < n; i++)
        any_f16 |= t[i]->dtype == KB_DTYPE_F16;
    /* Built per run, not cached: the plugin keeps no state between calls. */
    float *table = NULL;
    if (any_f16) {
        table = malloc(sizeof(float) * 65536);
        if (!table)
            return ref_fail(err, len, KB_ERR_NOMEM, "out of memory for the f16 table");
        for (uint32_t c = 0; c < 65536; c++)
            table[c] = (float)kb_decode_float(&KB_FMT_F16, c);
    }
    for (int i = 0; i < n; i++) {
        l[i].dtype = t[i]->dtype;
        l[i].data = t[i]->data;
        l[i].f16 = table;
    }
    return KB_OK;
}

void ref_loaders_free(ref_loader *l, int n)
{
    if (n > 0)
        free(l[0].f16);
    for (int i = 0; i < n; i++)
        l[i].f16 = NULL;
}
