/**
 * Trailer naming the error's kind (shared/errors.ts) on every status the coordinator sends itself, so
 * a client tells "the coordinator answered UNAVAILABLE: the job store is down" from "no coordinator
 * answered at all".
 */
export const ERROR_KIND_TRAILER = 'x-quantgrid-error-kind';
