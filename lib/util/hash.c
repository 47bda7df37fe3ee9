/*
 * util/hash.c - the streaming 128-bit input digest (definition in hash.h):
 * four CRC-32C lanes over the input's 8-byte words, taken in turn, then
 * the lanes and the length mixed into two 64-bit halves by invertible
 * steps.
 *
 * Two implementations give the same bits:
 *   - x86-64 with SSE4.2 (checked at run time with cpuid, through
 *     __builtin_cpu_supports): the crc32 instruction, 8 bytes per
 *     instruction; the four lanes are independent, so the 3-cycle latency
 *     is hidden and the loop runs at ~8 bytes a cycle (measured ~20 GB/s
 *     on this project's VM, against ~6 GB/s for the xxHash-style lanes
 *     used before);
 *   - everywhere else: a byte-at-a-time table (crc32c_table below, the
 *     reflected polynomial 0x82F63B78), ~1 GB/s. The default build never
 *     uses -march flags, so the same binary picks the fast path wherever
 *     the CPU has it.
 * CRC-32C check values (RFC 3720 B.4): 32 zero bytes -> 0x8a9136aa,
 * "123456789" -> 0xe3069283.
 */
#include "util/hash.h"

#include <stdbool.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DG_HAVE_X86 1
#include <nmmintrin.h>
#endif

#define DG_K1 0x9e3779b97f4a7c15ULL
#define DG_K2 0xc2b2ae3d27d4eb4fULL
#define DG_K3 0x165667b19e3779f9ULL

/* CRC-32C, reflected polynomial 0x82F63B78: table[i] = CRC of byte i. */
static const uint32_t crc32c_table[256] = {
    0x00000000u, 0xf26b8303u, 0xe13b70f7u, 0x1350f3f4u, 0xc79a971fu, 0x35f1141cu,
    0x26a1e7e8u, 0xd4ca64ebu, 0x8ad958cfu, 0x78b2dbccu, 0x6be22838u, 0x9989ab3bu,
    0x4d43cfd0u, 0xbf284cd3u, 0xac78bf27u, 0x5e133c24u, 0x105ec76fu, 0xe235446cu,
    0xf165b798u, 0x030e349bu, 0xd7c45070u, 0x25afd373u, 0x36ff2087u, 0xc494a384u,
    0x9a879fa0u, 0x68ec1ca3u, 0x7bbcef57u, 0x89d76c54u, 0x5d1d08bfu, 0xaf768bbcu,
    0xbc267848u, 0x4e4dfb4bu, 0x20bd8edeu, 0xd2d60dddu, 0xc186fe29u, 0x33ed7d2au,
    0xe72719c1u, 0x154c9ac2u, 0x061c6936u, 0xf477ea35u, 0xaa64d611u, 0x580f5512u,
    0x4b5fa6e6u, 0xb93425e5u, 0x6dfe410eu, 0x9f95c20du, 0x8cc531f9u, 0x7eaeb2fau,
    0x30e349b1u, 0xc288cab2u, 0xd1d83946u, 0x23b3ba45u, 0xf779deaeu, 0x05125dadu,
    0x1642ae59u, 0xe4292d5au, 0xba3a117eu, 0x4851927du, 0x5b016189u, 0xa96ae28au,
    0x7da08661u, 0x8fcb0562u, 0x9c9bf696u, 0x6ef07595u, 0x417b1dbcu, 0xb3109ebfu,
    0xa0406d4bu, 0x522bee48u, 0x86e18aa3u, 0x748a09a0u, 0x67dafa54u, 0x95b17957u,
    0xcba24573u, 0x39c9c670u, 0x2a993584u, 0xd8f2b687u, 0x0c38d26cu, 0xfe53516fu,
    0xed03a29bu, 0x1f682198u, 0x5125dad3u, 0xa34e59d0u, 0xb01eaa24u, 0x42752927u,
    0x96bf4dccu, 0x64d4cecfu, 0x77843d3bu, 0x85efbe38u, 0xdbfc821cu, 0x2997011fu,
    0x3ac7f2ebu, 0xc8ac71e8u, 0x1c661503u, 0xee0d9600u, 0xfd5d65f4u, 0x0f36e6f7u,
    0x61c69362u, 0x93ad1061u, 0x80fde395u, 0x72966096u, 0xa65c047du, 0x5437877eu,
    0x4767748au, 0xb50cf789u, 0xeb1fcbadu, 0x197448aeu, 0x0a24bb5au, 0xf84f3859u,
    0x2c855cb2u, 0xdeeedfb1u, 0xcdbe2c45u, 0x3fd5af46u, 0x7198540du, 0x83f3d70eu,
    0x90a324fau, 0x62c8a7f9u, 0xb602c312u, 0x44694011u, 0x5739b3e5u, 0xa55230e6u,
    0xfb410cc2u, 0x092a8fc1u, 0x1a7a7c35u, 0xe811ff36u, 0x3cdb9bddu, 0xceb018deu,
    0xdde0eb2au, 0x2f8b6829u, 0x82f63b78u, 0x709db87bu, 0x63cd4b8fu, 0x91a6c88cu,
    0x456cac67u, 0xb7072f64u, 0xa457dc90u, 0x563c5f93u, 0x082f63b7u, 0xfa44e0b4u,
    0xe9141340u, 0x1b7f9043u, 0xcfb5f4a8u, 0x3dde77abu, 0x2e8e845fu, 0xdce5075cu,
    0x92a8fc17u, 0x60c37f14u, 0x73938ce0u, 0x81f80fe3u, 0x55326b08u, 0xa759e80bu,
    0xb4091bffu, 0x466298fcu, 0x1871a4d8u, 0xea1a27dbu, 0xf94ad42fu, 0x0b21572cu,
    0xdfeb33c7u, 0x2d80b0c4u, 0x3ed04330u, 0xccbbc033u, 0xa24bb5a6u, 0x502036a5u,
    0x4370c551u, 0xb11b4652u, 0x65d122b9u, 0x97baa1bau, 0x84ea524eu, 0x7681d14du,
    0x2892ed69u, 0xdaf96e6au, 0xc9a99d9eu, 0x3bc21e9du, 0xef087a76u, 0x1d63f975u,
    0x0e330a81u, 0xfc588982u, 0xb21572c9u, 0x407ef1cau, 0x532e023eu, 0xa145813du,
    0x758fe5d6u, 0x87e466d5u, 0x94b49521u, 0x66df1622u, 0x38cc2a06u, 0xcaa7a905u,
    0xd9f75af1u, 0x2b9cd9f2u, 0xff56bd19u, 0x0d3d3e1au, 0x1e6dcdeeu, 0xec064eedu,
    0xc38d26c4u, 0x31e6a5c7u, 0x22b65633u, 0xd0ddd530u, 0x0417b1dbu, 0xf67c32d8u,
    0xe52cc12cu, 0x1747422fu, 0x49547e0bu, 0xbb3ffd08u, 0xa86f0efcu, 0x5a048dffu,
    0x8ecee914u, 0x7ca56a17u, 0x6ff599e3u, 0x9d9e1ae0u, 0xd3d3e1abu, 0x21b862a8u,
    0x32e8915cu, 0xc083125fu, 0x144976b4u, 0xe622f5b7u, 0xf5720643u, 0x07198540u,
    0x590ab964u, 0xab613a67u, 0xb831c993u, 0x4a5a4a90u, 0x9e902e7bu, 0x6cfbad78u,
    0x7fab5e8cu, 0x8dc0dd8fu, 0xe330a81au, 0x115b2b19u, 0x020bd8edu, 0xf0605beeu,
    0x24aa3f05u, 0xd6c1bc06u, 0xc5914ff2u, 0x37faccf1u, 0x69e9f0d5u, 0x9b8273d6u,
    0x88d28022u, 0x7ab90321u, 0xae7367cau, 0x5c18e4c9u, 0x4f48173du, 0xbd23943eu,
    0xf36e6f75u, 0x0105ec76u, 0x12551f82u, 0xe03e9c81u, 0x34f4f86au, 0xc69f7b69u,
    0xd5cf889du, 0x27a40b9eu, 0x79b737bau, 0x8bdcb4b9u, 0x988c474du, 0x6ae7c44eu,
    0xbe2da0a5u, 0x4c4623a6u, 0x5f16d052u, 0xad7d5351u,
};

static inline uint32_t crc32c_byte(uint32_t c, uint8_t b)
{
    return crc32c_table[(c ^ b) & 0xffu] ^ (c >> 8);
}

/* Portable: n whole stripes into the lanes. */
static void dg_stripes_sw(uint32_t v[4], const uint8_t *p, size_t n)
{
    uint32_t a = v[0], b = v[1], c = v[2], d = v[3];
    for (size_t s = 0; s < n; s++, p += 32) {
        for (int k = 0; k < 8; k++) {
            a = crc32c_byte(a, p[k]);
            b = crc32c_byte(b, p[8 + k]);
            c = crc32c_byte(c, p[16 + k]);
            d = crc32c_byte(d, p[24 + k]);
        }
    }
    v[0] = a;
    v[1] = b;
    v[2] = c;
    v[3] = d;
}

#ifdef DG_HAVE_X86
#define DG_PREFETCH 2048 /* bytes ahead (1-2 KiB measured best) */

/* The same with the SSE4.2 crc32 instruction (it consumes the 8 bytes of a
 * little-endian word in memory order, exactly as the table loop does). */
__attribute__((target("sse4.2"))) static void dg_stripes_hw(uint32_t v[4], const uint8_t *p,
                                                            size_t n)
{
    uint64_t a = v[0], b = v[1], c = v[2], d = v[3];
    /* Two stripes (one cache line) a turn, loading the line DG_PREFETCH
     * bytes ahead: when the bytes come from memory rather than a cache (a
     * mapped file the kernel did not copy), the lanes otherwise wait on
     * the hardware prefetcher. Measured on the 2.1 GB snaplen-256 synth
     * capture mapped in windows: 0.30-0.33 s -> 0.20-0.22 s CPU. A
     * prefetch past the end of the data is harmless (it never faults). */
    for (; n >= 2; n -= 2, p += 64) {
        __builtin_prefetch(p + DG_PREFETCH);
        uint64_t w[8];
        memcpy(w, p, 64);
        a = _mm_crc32_u64(a, w[0]);
        b = _mm_crc32_u64(b, w[1]);
        c = _mm_crc32_u64(c, w[2]);
        d = _mm_crc32_u64(d, w[3]);
        a = _mm_crc32_u64(a, w[4]);
        b = _mm_crc32_u64(b, w[5]);
        c = _mm_crc32_u64(c, w[6]);
        d = _mm_crc32_u64(d, w[7]);
    }
    for (size_t s = 0; s < n; s++, p += 32) {
        uint64_t w[4];
        memcpy(w, p, 32);
        a = _mm_crc32_u64(a, w[0]);
        b = _mm_crc32_u64(b, w[1]);
        c = _mm_crc32_u64(c, w[2]);
        d = _mm_crc32_u64(d, w[3]);
    }
    v[0] = (uint32_t)a;
    v[1] = (uint32_t)b;
    v[2] = (uint32_t)c;
    v[3] = (uint32_t)d;
}

static bool dg_have_hw(void)
{
    return __builtin_cpu_supports("sse4.2");
}
#endif

/* Whole stripes, on the fastest path this CPU has. */
static void dg_stripes(const struct digest128 *d, uint32_t v[4], const uint8_t *p, size_t n)
{
#ifdef DG_HAVE_X86
    if (!d->portable && dg_have_hw()) {
        dg_stripes_hw(v, p, n);
        return;
    }
#else
    (void)d;
#endif
    dg_stripes_sw(v, p, n);
}

void digest128_init(struct digest128 *d)
{
    for (int j = 0; j < 4; j++)
        d->v[j] = 0xffffffffu;
    d->length = 0;
    d->ntail = 0;
    d->portable = false;
}

void digest128_init_portable(struct digest128 *d)
{
    digest128_init(d);
    d->portable = true;
}

void digest128_update(struct digest128 *d, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    d->length += len;
    if (d->ntail) {
        size_t take = 32 - d->ntail;
        if (take > len)
            take = len;
        memcpy(d->tail + d->ntail, p, take);
        d->ntail += take;
        p += take;
        len -= take;
        if (d->ntail < 32)
            return;
        dg_stripes(d, d->v, d->tail, 1);
        d->ntail = 0;
    }
    if (len >= 32) {
        dg_stripes(d, d->v, p, len / 32);
        p += len & ~(size_t)31;
        len &= 31;
    }
    memcpy(d->tail, p, len);
    d->ntail = len;
}

void digest128_final(struct digest128 *d, uint8_t out[16])
{
    /* The last partial stripe: byte i belongs to lane i / 8. */
    for (size_t i = 0; i < d->ntail; i++)
        d->v[i / 8] = crc32c_byte(d->v[i / 8], d->tail[i]);
    uint32_t c[4];
    for (int j = 0; j < 4; j++)
        c[j] = d->v[j] ^ 0xffffffffu;
    /* Each step is invertible for a given length, so two inputs of the
     * same length whose lanes differ never share a digest. */
    uint64_t a = (uint64_t)c[1] << 32 | c[0];
    uint64_t b = (uint64_t)c[3] << 32 | c[2];
    a = hash_fmix64(a ^ (d->length * DG_K1));
    b = hash_fmix64(b ^ (d->length * DG_K2 + DG_K1));
    b ^= hash_fmix64(a + DG_K3);
    a ^= hash_fmix64(b + DG_K1);
    for (int k = 0; k < 8; k++) {
        out[k] = (uint8_t)(a >> (56 - 8 * k));
        out[8 + k] = (uint8_t)(b >> (56 - 8 * k));
    }
}

uint32_t hash_crc32c(uint32_t crc, const void *data, size_t len)
{
    const uint8_t *p = (const uint8_t *)data;
    uint32_t c = ~crc;
    for (size_t i = 0; i < len; i++)
        c = crc32c_byte(c, p[i]);
    return ~c;
}

void digest128_hex(const uint8_t in[16], char out[33])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    out[32] = '\0';
}
