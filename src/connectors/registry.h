/*
 * registry.h: the connectors' operators by kind: built-in sources (collection, sequence,
 * generator, text files, socket, Nexmark, DataGen) and sinks (print, text file, discard, collect, exactly-once
 * file sink and its partition committer). Together with operators/registry.h this is what a TaskExecutor can run.
 */
#ifndef SPATE_CONNECTORS_REGISTRY_H
#define SPATE_CONNECTORS_REGISTRY_H
#include "runtime/operator.h"

const op_vtable *connector_vtable_for(op_kind kind);

extern const op_vtable op_source_elements_vt, op_source_file_vt, op_source_sequence_vt,
    op_source_generator_vt, op_source_socket_vt, op_sink_print_vt, op_sink_text_vt,
    op_sink_discard_vt, op_sink_collect_vt, op_sink_file_vt, op_source_nexmark_vt,
    op_partition_commit_vt, op_source_datagen_vt;
#endif
