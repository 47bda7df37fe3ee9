/*
 * fuzz_hll: libFuzzer target for the HyperLogLog byte layout
 * (v6m_hll_deserialize, include/v6mon/hll.h).
 *
 * Input: the bytes as they would come back from the store or another
 * collector. Invariants checked (abort on violation):
 * - deserialize never reads outside the input (ASan) and, on failure,
 *   leaves the target sketch untouched and returns one of the documented
 *   codes (TRUNCATED, FORMAT, UNSUPPORTED);
 * - on success every register is <= 51; serialize succeeds into
 *   v6m_hll_serialized_max() bytes and fails (returns 0) with one byte less
 *   than it needs; deserializing that output gives the same registers, and
 *   serializing again gives the same bytes (the writer is canonical);
 * - the estimate is a number >= 0 (infinity only when all registers are
 *   saturated), 0 exactly when the sketch is empty, and merging the sketch
 *   into itself changes nothing.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <v6mon/hll.h>

static v6m_hll a, b, c;
static uint8_t out1[12296], out2[12296];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (v6m_hll_serialized_max() != sizeof out1)
        abort();
    memset(a.reg, 0x7f, sizeof a.reg);
    v6m_err err = v6m_hll_deserialize(&a, data, size);
    if (err != V6M_OK) {
        if (err != V6M_ERR_TRUNCATED && err != V6M_ERR_FORMAT && err != V6M_ERR_UNSUPPORTED)
            abort();
        for (size_t i = 0; i < V6M_HLL_REGISTERS; i++)
            if (a.reg[i] != 0x7f)
                abort();
        return 0;
    }
    bool all_zero = true, all_max = true;
    for (size_t i = 0; i < V6M_HLL_REGISTERS; i++) {
        if (a.reg[i] > V6M_HLL_MAX_RANK)
            abort();
        all_zero &= a.reg[i] == 0;
        all_max &= a.reg[i] == V6M_HLL_MAX_RANK;
    }
    if (v6m_hll_is_empty(&a) != all_zero)
        abort();

    size_t n1 = v6m_hll_serialize(&a, out1, sizeof out1);
    if (n1 < 10 || n1 > sizeof out1)
        abort();
    if (v6m_hll_serialize(&a, out2, n1 - 1) != 0)
        abort();
    if (v6m_hll_deserialize(&b, out1, n1) != V6M_OK)
        abort();
    if (memcmp(a.reg, b.reg, sizeof a.reg) != 0)
        abort();
    size_t n2 = v6m_hll_serialize(&b, out2, sizeof out2);
    if (n2 != n1 || memcmp(out1, out2, n1) != 0)
        abort();

    double e = v6m_hll_estimate(&a);
    if (isnan(e) || e < 0 || (e == 0) != all_zero || (isinf(e) && !all_max))
        abort();
    memcpy(&c, &a, sizeof c);
    v6m_hll_merge(&c, &a);
    if (memcmp(a.reg, c.reg, sizeof a.reg) != 0)
        abort();
    return 0;
}
