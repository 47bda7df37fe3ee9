/*
 * fuzz_source.c - libFuzzer target for the pcap/pcapng reader.
 *
 * The input is written to a memfd and opened through /proc/self/fd/N, so
 * the real path is exercised: open, header, the buffered reader with its
 * refills, every block type, damage handling and the digest. The whole
 * input is read to the end; every returned frame's bytes are touched so
 * ASan sees any read outside the buffer.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <v6mon/source.h>

#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[64];
    int fd = fuzz_capture_fd(data, size, path, sizeof(path));
    if (fd < 0)
        return 0;
    /* The same file twice also exercises the merge. */
    const char *paths[2] = { path, path };
    v6m_source *src = v6m_source_new_files(paths, (size & 1) ? 2 : 1);
    if (src && v6m_source_start(src) == V6M_OK) {
        struct v6m_frame fr;
        volatile uint8_t sink = 0;
        for (int guard = 0; guard < 1000000; guard++) {
            v6m_err rc = v6m_source_next(src, &fr);
            if (rc == V6M_ERR_EOF)
                break;
            if (rc != V6M_OK)
                continue;
            for (uint32_t i = 0; i < fr.caplen; i++)
                sink ^= fr.data[i];
            (void)v6m_source_ifname(src, fr.ifindex);
        }
        struct v6m_source_stats st;
        v6m_source_get_stats(src, &st);
        (void)sink;
    }
    v6m_source_free(src);
    close(fd);
    return 0;
}
