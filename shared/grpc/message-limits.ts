/**
 * Sizes of gRPC messages, one home for both ends (docs/architecture.md, "Message sizes").
 * Every message of every quantgrid RPC stays under MAX_MESSAGE_BYTES, gRPC's own default receive
 * limit, so a client with default settings reads every answer: what can be larger (a job's result,
 * a dataset) travels in chunks of CHUNK_BYTES on a stream.
 */

/** Largest message a quantgrid endpoint sends or receives (4 MiB, gRPC's default receive limit). */
export const MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

/** Data streams (GetJobResult, FetchDataset, ImportDatasetStream) carry at most this many bytes per message. */
export const CHUNK_BYTES = 1024 * 1024;

/**
 * The pieces clients send a streamed import in: smaller than CHUNK_BYTES, so what a coordinator has
 * received but not yet parsed (its stream's buffer of 16 messages) stays small.
 */
export const IMPORT_SEND_BYTES = 256 * 1024;

/** A job's result travels inline (GetJob, CancelJob, WatchJob's COMPLETED event) up to this size (UTF-8 bytes); larger ones by GetJobResult only. */
export const INLINE_RESULT_MAX_BYTES = 1024 * 1024;

/**
 * Largest message between the coordinator and its agents (inside the cluster's network): a
 * RunPartition request (the spec as JSON) and a partition's result (PartitionResult.result_json, one
 * message). An agent fails a partition whose result is larger with a deterministic error saying so,
 * before sending it.
 */
export const MAX_AGENT_MESSAGE_BYTES = 64 * 1024 * 1024;

/**
 * Most bytes of unit checkpoints (incremental re-runs, shared/tasks/continuation.ts) one RunPartition
 * request or partition result carries, well inside MAX_AGENT_MESSAGE_BYTES beside the spec or the
 * result: the coordinator plans partitions small enough for theirs to fit (65,536 units at most).
 */
export const MAX_PARTITION_CHECKPOINT_BYTES = 16 * 1024 * 1024;

/** Largest file ImportDatasetStream takes (a CSV is parsed as it arrives: the coordinator holds its bars, not the file). */
export const MAX_IMPORT_BYTES = 4 * 1024 * 1024 * 1024;

/** Largest Parquet file ImportDatasetStream takes: it is gathered whole before parsing (its index is at its end). */
export const MAX_PARQUET_IMPORT_BYTES = 256 * 1024 * 1024;
