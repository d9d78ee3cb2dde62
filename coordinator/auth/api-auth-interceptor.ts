import * as grpc from '@grpc/grpc-js';
import { bearerToken } from '../../shared/auth/api-token.js';
import { callTarget, NonceWindow, verifyCall } from '../../shared/auth/cluster-proof.js';
import { roleAllows } from '../../shared/auth/roles.js';
import { errorMessage } from '../../shared/errors.js';
import { ERROR_KIND_TRAILER } from '../../shared/grpc/error-trailer.js';
import { CLUSTER_PROOF_METADATA } from '../../shared/grpc/cluster-proof-interceptors.js';
import type { Logger } from '../../shared/logging.js';
import { encodePrincipal, NODE_PRINCIPAL, PRINCIPAL_METADATA, type Principal } from './principal.js';
import { NODE_RPCS, requiredRole } from './rpc-roles.js';
import type { TokenStore } from './token-store.js';

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

function refuse(call: grpc.ServerInterceptingCallInterface, code: grpc.status, kind: string, details: string): void {
  const metadata = new grpc.Metadata();
  metadata.set(ERROR_KIND_TRAILER, kind);
  call.sendStatus({ code, details, metadata });
}

/**
 * Authenticates every call of the service before its handler runs: a bearer token that TokenStore
 * knows, with a role at least the RPC's (rpc-roles.ts); for FetchDataset, alternatively a node's proof
 * of the cluster secret. The principal is handed to the handler in the call's metadata.
 */
export function apiAuthInterceptor(options: ApiAuthOptions): grpc.ServerInterceptor {
  const prefix = `/${options.service}/`;
  const nonces = new NonceWindow();
  return (methodDescriptor, call) => {
    if (!methodDescriptor.path.startsWith(prefix)) return new grpc.ServerInterceptingCall(call);
    const rpc = methodDescriptor.path.slice(prefix.length);
    const needed = requiredRole(rpc);
    return new grpc.ServerInterceptingCall(call, {
      start(next) {
        next({
          onReceiveMetadata(metadata, pass) {
            metadata.remove(PRINCIPAL_METADATA);
            const admit = (principal: Principal): void => {
              metadata.set(PRINCIPAL_METADATA, encodePrincipal(principal));
              pass(metadata);
            };
            if (!options.tokens) return admit(ANONYMOUS_ADMIN);
            const proof = metadata.get(CLUSTER_PROOF_METADATA)[0];
            if (proof !== undefined && options.clusterSecret && NODE_RPCS.has(rpc)) {
              try {
                verifyCall(options.clusterSecret, callTarget(options.address(), methodDescriptor.path), proof, nonces);
                return admit(NODE_PRINCIPAL);
              } catch (error) {
                return refuse(call, grpc.status.UNAUTHENTICATED, 'unauthenticated', `cluster proof refused: ${errorMessage(error)}`);
              }
            }
            // With mutual TLS the server required and verified a client certificate: a node fetching a dataset.
            if (NODE_RPCS.has(rpc) && options.mutualTls && call.getAuthContext()?.sslPeerCertificate?.subject && metadata.get('authorization').length === 0) {
              return admit(NODE_PRINCIPAL);
            }
            const token = bearerToken(metadata.get('authorization')[0]);
            if (token === undefined) {
              return refuse(call, grpc.status.UNAUTHENTICATED, 'unauthenticated', 'no token: send metadata "authorization: Bearer <token>" (quantgrid token create; the CLI reads QUANTGRID_TOKEN or --token-file)');
            }
            options.tokens.verify(token).then(
              (principal) => {
                if (!principal) return refuse(call, grpc.status.UNAUTHENTICATED, 'unauthenticated', 'unknown, revoked or expired token');
                if (!roleAllows(principal.role, needed)) {
                  return refuse(call, grpc.status.PERMISSION_DENIED, 'permission-denied', `${rpc} needs the ${needed} role; user ${principal.user} is ${principal.role}`);
                }
                admit(principal);
              },
              (error: unknown) => {
                options.log.warn({ rpc, err: errorMessage(error) }, 'token check failed: token store unavailable');
                refuse(call, grpc.status.UNAVAILABLE, 'unavailable', `token store (Redis) unavailable: ${errorMessage(error)}`);
              },
            );
          },
        });
      },
    });
  };
}
