import * as grpc from '@grpc/grpc-js';
import { AUTHORIZATION_METADATA, bearerToken } from '../../shared/auth/api-token.js';
import { callTarget, DEFAULT_PROOF_SKEW_MS, verifyCall } from '../../shared/auth/cluster-proof.js';
import { NonceWindow } from '../../shared/auth/nonce-window.js';
import { roleAllows } from '../../shared/auth/roles.js';
import { errorMessage, PermissionDenied, Unauthenticated } from '../../shared/errors.js';
import { CLUSTER_PROOF_METADATA } from '../../shared/grpc/cluster-proof-calls.js';
import type { Logger } from '../../shared/logging.js';
import { encodePrincipal, NODE_PRINCIPAL, PRINCIPAL_METADATA, type Principal } from '../auth/principal.js';
import { NODE_RPCS, requiredRole } from '../auth/rpc-roles.js';
import type { TokenStore } from '../auth/token-store.js';
import { TOKEN_STORE } from '../redis/store-names.js';
import { grpcStatus } from './grpc-status.js';

export interface ApiAuthOptions {
  /** The service whose calls are checked, e.g. "quantgrid.v1.Coordinator"; others (health, reflection) pass. */
  service: string;
  /** Undefined: authentication is off (--no-auth, loopback only): every caller acts as an admin. */
  tokens: TokenStore | undefined;
  /** Node agents prove this secret to fetch datasets without a token. */
  clusterSecret?: Uint8Array;
  /** The API requires and verifies client certificates (--tls-ca): a verified certificate admits a node's FetchDataset. */
  mutualTls?: boolean;
  /** This API's address as agents dial it (the dataset source they are given), what their proofs are for. */
  address: () => string;
  log: Logger;
}

const ANONYMOUS_ADMIN: Principal = { user: 'anonymous', role: 'admin' };

/**
 * Authenticates every call of the service before its handler runs: a bearer token that TokenStore
 * knows, with a role at least the RPC's (rpc-roles.ts); for FetchDataset, alternatively a node's proof
 * of the cluster secret or its verified client certificate. The principal is handed to the handler
 * in the call's metadata; a refusal is a typed error, answered with the status grpc-status.ts maps it to.
 */
export function apiAuthInterceptor(options: ApiAuthOptions): grpc.ServerInterceptor {
  const prefix = `/${options.service}/`;
  const nonces = new NonceWindow(DEFAULT_PROOF_SKEW_MS);

  async function principalFor(rpc: string, path: string, metadata: grpc.Metadata, call: grpc.ServerInterceptingCallInterface): Promise<Principal> {
    if (!options.tokens) return ANONYMOUS_ADMIN;
    const authorization = metadata.get(AUTHORIZATION_METADATA)[0];
    if (NODE_RPCS.has(rpc)) {
      const proof = metadata.get(CLUSTER_PROOF_METADATA)[0];
      if (proof !== undefined && options.clusterSecret) {
        try {
          verifyCall(options.clusterSecret, callTarget(options.address(), path), proof, nonces);
        } catch (error) {
          throw new Unauthenticated(`cluster proof refused: ${errorMessage(error)}`);
        }
        return NODE_PRINCIPAL;
      }
      // With mutual TLS the server required and verified a client certificate: a node fetching a dataset.
      if (options.mutualTls && authorization === undefined && call.getAuthContext()?.sslPeerCertificate?.subject) return NODE_PRINCIPAL;
    }
    const token = bearerToken(authorization);
    if (token === undefined) {
      throw new Unauthenticated('no token: send metadata "authorization: Bearer <token>" (quantgrid token create; the CLI reads QUANTGRID_TOKEN or --token-file)');
    }
    const principal = await options.tokens.verify(token);
    if (!principal) throw new Unauthenticated('unknown, revoked or expired token');
    const needed = requiredRole(rpc);
    if (!roleAllows(principal.role, needed)) throw new PermissionDenied(`${rpc} needs the ${needed} role; user ${principal.user} is ${principal.role}`);
    return principal;
  }

  return (methodDescriptor, call) => {
    if (!methodDescriptor.path.startsWith(prefix)) return new grpc.ServerInterceptingCall(call);
    const rpc = methodDescriptor.path.slice(prefix.length);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            metadata.remove(PRINCIPAL_METADATA);
            principalFor(rpc, methodDescriptor.path, metadata, call).then(
              (principal) => {
                metadata.set(PRINCIPAL_METADATA, encodePrincipal(principal));
                pass(metadata);
              },
              (error: unknown) => {
                // Untyped errors come from the token store: UNAVAILABLE naming it.
                const status = grpcStatus(error, TOKEN_STORE);
                if (status.code === grpc.status.UNAVAILABLE) options.log.warn({ rpc, err: status.details }, 'token check failed: token store unavailable');
                call.sendStatus(status);
              },
            );
          },
        });
      },
    });
  };
}
