/*
 * graph_internal.h: what the graph layer's files share and nobody else uses: releasing a node,
 * and the checks that the JobGraph builder (job_graph.c) and decoder (graph_codec.c) both run
 * on a node array (stream_graph.c). Users of the layer include graph/stream_graph.h only.
 */
#ifndef SPATE_GRAPH_GRAPH_INTERNAL_H
#define SPATE_GRAPH_GRAPH_INTERNAL_H
#include <stddef.h>

#include "graph/stream_graph.h"

/* Releases everything a node owns; the node struct itself belongs to its array. */
void sg_node_free(sg_node *n);
/* Fails (returning rc, message in err) unless every input comes from an earlier node. */
int sg_check_input_order(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len);
/* Checks a resolved node array (parallelism, slot groups and partitioners filled in): kinds,
 * parallelism bounds, schemas across edges, keys, partitioners. Returns 0 or rc with a message
 * naming the operator. */
int sg_check_nodes(const sg_node *nodes, int nnodes, int rc, char *err, size_t err_len);
#endif
