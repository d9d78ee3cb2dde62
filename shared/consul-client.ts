/**
 * The one way quantgrid processes talk to Consul: a `consul` client for an endpoint that sends the
 * ACL token of --consul-token-file (if any) as X-Consul-Token on every request, and the one log line
 * for a request Consul refuses on ACL grounds (HTTP 403).
 */
import Consul from 'consul';
import type { ConsulEndpoint } from './config/consul-option.js';
import { CONSUL_TOKEN_FILE_FLAG } from './config/consul-token-option.js';
import type { SecretFile } from './config/secret-file.js';

/** A client for endpoint; token (from --consul-token-file) is sent with every call, including watches. */
export function createConsulClient(endpoint: Pick<ConsulEndpoint, 'host' | 'port' | 'secure'>, token: SecretFile | undefined): Consul {
  return new Consul({
    host: endpoint.host,
    port: endpoint.port,
    secure: endpoint.secure,
    // The client copies `defaults` into every request's options, and sends `token` as X-Consul-Token.
    ...(token ? { defaults: { token: token.reveal() } } : {}),
  });
}

/** Consul answers 403 when the token is unknown ("ACL not found") or lacks a permission ("Permission denied: …"). */
export function isConsulAclRefusal(statusCode: number | undefined): boolean {
  return statusCode === 403;
}

/** The log line for an ACL refusal, naming the flag; detail is Consul's reason. */
export function consulAclRefusalMessage(tokenGiven: boolean, detail: string): string {
  return tokenGiven
    ? `Consul refused the token from ${CONSUL_TOKEN_FILE_FLAG}: ${detail}`
    : `Consul refused the request without a token (no ${CONSUL_TOKEN_FILE_FLAG} given): ${detail}`;
}
