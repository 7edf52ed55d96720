/* registry.c: maps the connector kinds of the job graph to their implementations. */
#include "connectors/registry.h"

const op_vtable *connector_vtable_for(op_kind k) {
  switch (k) {
  case OP_SRC_ELEMENTS: return &op_source_elements_vt;
  case OP_SRC_FILE: return &op_source_file_vt;
  case OP_SRC_SEQUENCE: return &op_source_sequence_vt;
  case OP_SRC_GENERATOR: return &op_source_generator_vt;
  case OP_SRC_SOCKET: return &op_source_socket_vt;
  case OP_SRC_NEXMARK: return &op_source_nexmark_vt;
  case OP_SRC_DATAGEN: return &op_source_datagen_vt;
  case OP_SINK_PRINT: return &op_sink_print_vt;
  case OP_SINK_TEXT: return &op_sink_text_vt;
  case OP_SINK_DISCARD: return &op_sink_discard_vt;
  case OP_SINK_COLLECT: return &op_sink_collect_vt;
  case OP_SINK_FILE: return &op_sink_file_vt;
  case OP_PARTITION_COMMIT: return &op_partition_commit_vt;
  default: return NULL;
  }
}
