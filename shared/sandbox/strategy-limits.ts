/** Largest bundle a strategy may have (checked by the CLI before a push, and by PushStrategy): it fits one gRPC message. */
export const MAX_STRATEGY_BUNDLE_BYTES = 1024 * 1024;
