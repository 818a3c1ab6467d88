/* proto_scan.c - the first pass of proto_decode: a walk over the whole
 * input that allocates nothing (why: the top of proto_dec.c).
 * Every declared length must fit in the bytes that follow it (an element
 * takes at least one byte), nesting must be shallow and the object count
 * bounded, so that msgpack-c's unpacker, which trusts declared counts, is
 * only ever given input whose allocations are small. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "proto_impl.h"

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;

    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

int proto_scan(const uint8_t *p, size_t len, char *err)
{
    uint64_t left[PROTO_MAX_DEPTH + 1];
    size_t pos = 0, objects = 0;
    int d = 0;

    left[0] = 1;
    for (;;) {
        uint64_t skip = 0, items = 0;
        int lenbytes = 0, extra = 0, container = 0; /* 1 array, 2 map */
        size_t at = pos;
        uint8_t b;

        while (d > 0 && left[d] == 0)
            d--;
        if (left[d] == 0)
            break;
        left[d]--;
        if (pos >= len)
            return err_set(err, "truncated message (%zu bytes)", len);
        if (++objects > PROTO_MAX_OBJECTS)
            return err_set(err, "more than %d msgpack objects", PROTO_MAX_OBJECTS);
        b = p[pos++];
        if (b <= 0x7f || b >= 0xe0 || b == 0xc0 || b == 0xc2 || b == 0xc3)
            continue;
        if (b <= 0x8f) {
            container = 2, items = b & 0x0f;
        } else if (b <= 0x9f) {
            container = 1, items = b & 0x0f;
        } else if (b <= 0xbf) {
            skip = b & 0x1f;
        } else {
            switch (b) {
            case 0xc4: case 0xd9: lenbytes = 1; break;           /* bin8, str8 */
            case 0xc5: case 0xda: lenbytes = 2; break;
            case 0xc6: case 0xdb: lenbytes = 4; break;
            case 0xc7: lenbytes = 1, extra = 1; break;           /* ext8 + type */
            case 0xc8: lenbytes = 2, extra = 1; break;
            case 0xc9: lenbytes = 4, extra = 1; break;
            case 0xca: case 0xce: case 0xd2: skip = 4; break;
            case 0xcb: case 0xcf: case 0xd3: skip = 8; break;
            case 0xcc: case 0xd0: skip = 1; break;
            case 0xcd: case 0xd1: skip = 2; break;
            case 0xd4: skip = 2; break;                          /* fixext + type */
            case 0xd5: skip = 3; break;
            case 0xd6: skip = 5; break;
            case 0xd7: skip = 9; break;
            case 0xd8: skip = 17; break;
            case 0xdc: lenbytes = 2, container = 1; break;
            case 0xdd: lenbytes = 4, container = 1; break;
            case 0xde: lenbytes = 2, container = 2; break;
            case 0xdf: lenbytes = 4, container = 2; break;
            default:
                return err_set(err, "invalid msgpack byte 0x%02x at offset %zu", b, at);
            }
        }
        if (lenbytes > 0) {
            if (len - pos < (size_t)lenbytes)
                return err_set(err, "truncated message (%zu bytes)", len);
            if (container)
                items = be(p + pos, lenbytes);
            else
                skip = be(p + pos, lenbytes) + (uint64_t)extra;
            pos += (size_t)lenbytes;
        }
        if (container == 2)
            items *= 2;
        if (!container) {
            if (skip > len - pos)
                return err_set(err, "value at offset %zu declares %" PRIu64
                               " bytes, %zu follow", at, skip, len - pos);
            pos += (size_t)skip;
        } else if (items > 0) {
            if (items > len - pos)
                return err_set(err, "container at offset %zu declares %" PRIu64
                               " elements, %zu bytes follow", at, items, len - pos);
            if (d == PROTO_MAX_DEPTH)
                return err_set(err, "nested deeper than %d at offset %zu", PROTO_MAX_DEPTH, at);
            left[++d] = items;
        }
    }
    if (pos != len)
        return err_set(err, "%zu bytes after the end of the message", len - pos);
    return 0;
}
