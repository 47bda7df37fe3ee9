/*
 * fuzz_indicators_conf.c - libFuzzer target for the two text inputs of the
 * indicator layer: the targets file (v6m_indicators_parse_targets) and the
 * I8 registry CSV (v6m_indicators_parse_registry). The first byte picks
 * the parser; the rest is the text. Any bytes must either parse or fail
 * with a "fuzz.conf:..." / "fuzz.csv:..." message, never crash, leak or
 * read out of bounds; a registry that parsed is then used by a scorecard
 * over an empty database, so its strings reach the JSON writer. The handle
 * lives for the whole run (see open_empty).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <v6mon/indicators.h>
#include <v6mon/store.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* One handle for the whole run (opening a database per input would make
 * the parsers a small part of each execution); each parse replaces what
 * the previous input set, or leaves it when it fails. */
static v6m_indicators *open_empty(void)
{
    static char path[64];
    static v6m_indicators *ind;
    if (ind)
        return ind;
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/v6m-fuzz-ind-%d.db", (int)getpid());
        v6m_store *st = NULL;
        char err[256];
        if (v6m_store_open(path, &st, err, sizeof err) != V6M_OK)
            abort();
        v6m_store_close(st);
    }
    char err[256];
    if (v6m_indicators_open(path, &ind, err, sizeof err) != V6M_OK)
        abort();
    return ind;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    v6m_indicators *ind = open_empty();
    bool registry = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    v6m_err rc = registry ? v6m_indicators_parse_registry(ind, text, len, "fuzz.csv")
                          : v6m_indicators_parse_targets(ind, text, len, "fuzz.conf");
    if (rc != V6M_OK) {
        const char *msg = v6m_indicators_errmsg(ind);
        if (!msg || strncmp(msg, registry ? "fuzz.csv" : "fuzz.conf", registry ? 8 : 9) != 0)
            abort();
    } else if (registry) {
        struct v6m_ind_query q;
        v6m_ind_query_init(&q);
        v6m_scorecard *sc = NULL;
        if (v6m_indicators_compute(ind, &q, &sc) != V6M_OK)
            abort();
        FILE *devnull = fopen("/dev/null", "w");
        if (devnull) {
            v6m_scorecard_write_json(sc, devnull, false);
            fclose(devnull);
        }
        v6m_scorecard_free(sc);
    }
    return 0;
}
