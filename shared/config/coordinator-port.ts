/**
 * The port of the coordinator's gRPC API unless told otherwise: the coordinator listens on it
 * (its --listen default), the CLI reaches it (its --coordinator default) and `npm run cluster`
 * prefers it, so a local cluster is where the CLI looks without flags.
 */
export const DEFAULT_COORDINATOR_PORT = 7000;
