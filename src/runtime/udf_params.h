/*
 * udf_params.h: typed UDF parameters (SPATE_WITH_PARAMS / SPATE_PARAMS in spate.h) as they
 * travel in the job graph: the operator's UDF argument holds a header naming the C type and
 * its size, then the struct's bytes. The API encodes them when the job is built; the UDF's
 * context checks them against what the function expects (udf_params.c).
 *
 * Layout (host byte order, as the struct itself): 8 bytes "SPPARAMS", uint32 size of the
 * struct, uint32 length of the type's name, the name and a NUL, zero padding up to a multiple
 * of 16 bytes, then the struct. The argument is copied into memory of malloc's alignment, so
 * the struct is aligned for any plain type.
 */
#ifndef SPATE_RUNTIME_UDF_PARAMS_H
#define SPATE_RUNTIME_UDF_PARAMS_H
#include <stddef.h>
#include <stdint.h>

/* The encoded parameters (sp_malloc'ed, *len their size), or NULL when out of memory. */
uint8_t *udf_params_encode(const char *type_name, const void *data, size_t size, size_t *len);
#endif
