/** Deadline of each unary call to the coordinator unless the options say otherwise (its own file: the CLI reads it without loading gRPC). */
export const DEFAULT_CALL_TIMEOUT_MS = 10_000;
