import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/**
 * TLS settings from config. With no certificate the connection is plaintext (the local default).
 * Server: cert + key enable TLS; adding a CA requires and verifies client certificates (mutual TLS).
 * Client: a CA verifies the server; cert + key present a client certificate (mutual TLS).
 */
export interface TlsConfig {
  certFile?: string;
  keyFile?: string;
  caFile?: string;
}

function read(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new Error(`cannot read the TLS ${what} at ${file}: ${(error as Error).message}`);
  }
}

export function isTlsEnabled(tls: TlsConfig): boolean {
  return Boolean(tls.certFile || tls.keyFile || tls.caFile);
}

export function serverCredentials(tls: TlsConfig): grpc.ServerCredentials {
  if (!tls.certFile && !tls.keyFile) {
    if (tls.caFile) throw new Error('TLS: a CA for client certificates needs a server certificate and key too');
    return grpc.ServerCredentials.createInsecure();
  }
  if (!tls.certFile || !tls.keyFile) throw new Error('TLS: give both a certificate and a key');
  const ca = tls.caFile ? read(tls.caFile, 'CA') : null;
  return grpc.ServerCredentials.createSsl(
    ca,
    [{ cert_chain: read(tls.certFile, 'certificate'), private_key: read(tls.keyFile, 'key') }],
    ca !== null,
  );
}

export function channelCredentials(tls: TlsConfig): grpc.ChannelCredentials {
  if (!isTlsEnabled(tls)) return grpc.credentials.createInsecure();
  if ((tls.certFile && !tls.keyFile) || (!tls.certFile && tls.keyFile)) {
    throw new Error('TLS: give both a client certificate and a key, or neither');
  }
  return grpc.credentials.createSsl(
    tls.caFile ? read(tls.caFile, 'CA') : null,
    tls.keyFile ? read(tls.keyFile, 'key') : null,
    tls.certFile ? read(tls.certFile, 'certificate') : null,
  );
}
