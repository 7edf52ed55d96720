/*
 * element.h: how stream elements are laid out in network buffers.
 *
 * A subpartition is a byte stream of elements, each an 8-byte header {u32 len, u32 tag} and
 * `len` payload bytes padded to a multiple of 8, so every element (and the row inside a record)
 * starts 8-byte aligned. An element never starts in the last bytes of a buffer it does not fit
 * in, unless it is larger than a whole buffer: then it spans as many buffers as it needs and
 * the reader reassembles it (the only copy on the data path).
 *
 * Payloads: RECORD = i64 timestamp (INT64_MIN: none) + row bytes; WATERMARK = i64;
 * END_OF_PARTITION = empty; STATUS = u32 (1 idle, 0 active: Flink's WatermarkStatus). Barriers and the other elements of DESIGN.md join later.
 */
#ifndef SPATE_RUNTIME_ELEMENT_H
#define SPATE_RUNTIME_ELEMENT_H
#include <stdint.h>

enum { EL_RECORD = 1, EL_WATERMARK = 2, EL_END_OF_PARTITION = 3, EL_STATUS = 4 };

#define EL_HEADER 8u
static inline uint32_t el_padded(uint32_t len) { return (len + 7u) & ~7u; }
#endif
