/*
 * fuzz_util.h - helpers shared by the libFuzzer targets (header only; the
 * targets are separate programs).
 *
 *   fuzz_capture_fd()  the fuzzer's bytes as a file: an anonymous memfd,
 *                      opened by path (/proc/self/fd/N, written to path)
 *                      like a user's capture; -1 on failure. The caller
 *                      closes it.
 *   fuzz_check_name()  abort() unless s (n bytes) is a host name as the
 *                      name parsers promise: 1..253 characters, labels of
 *                      1..63 of [a-z0-9-_], separated by single dots.
 */
#ifndef V6M_FUZZ_UTIL_H
#define V6M_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static inline int fuzz_capture_fd(const uint8_t *data, size_t size, char *path, size_t cap)
{
    int fd = memfd_create("fuzz-capture", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < size) {
        ssize_t w = write(fd, data + off, size - off);
        if (w <= 0) {
            close(fd);
            return -1;
        }
        off += (size_t)w;
    }
    snprintf(path, cap, "/proc/self/fd/%d", fd);
    return fd;
}

static inline void fuzz_check_name(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        abort();
    size_t label = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (label == 0)
                abort();
            label = 0;
            continue;
        }
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            abort();
        if (++label > 63)
            abort();
    }
    if (label == 0)
        abort();
}

#endif
