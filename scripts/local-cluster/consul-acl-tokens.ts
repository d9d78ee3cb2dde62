/**
 * The Consul ACL policies and tokens of a quantgrid cluster, created through Consul's HTTP API
 * (Consul 1.8: /v1/acl/policy, /v1/acl/token) with a management token; docs/deployment.md shows the
 * same policies for real machines. Agents may register, refresh and deregister quantgrid services;
 * the coordinator may only read them (and the nodes they run on, which health queries need).
 */
import { writeFile } from 'node:fs/promises';

export const AGENT_POLICY_NAME = 'quantgrid-agent';
export const COORDINATOR_POLICY_NAME = 'quantgrid-coordinator';

export const AGENT_POLICY_RULES = ['service_prefix "quantgrid" { policy = "write" }', 'node_prefix "" { policy = "read" }', ''].join('\n');
export const COORDINATOR_POLICY_RULES = ['service_prefix "quantgrid" { policy = "read" }', 'node_prefix "" { policy = "read" }', ''].join('\n');

/** The secret ids of the two tokens. */
export interface QuantgridConsulTokens {
  agent: string;
  coordinator: string;
}

async function aclPut(httpAddress: string, managementToken: string, path: string, body: unknown): Promise<Record<string, unknown>> {
  const response = await fetch(`${httpAddress}/v1/acl/${path}`, {
    method: 'PUT',
    headers: { 'X-Consul-Token': managementToken, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(5000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`Consul at ${httpAddress}: PUT /v1/acl/${path} answered HTTP ${response.status}: ${text.trim().slice(0, 300)}`);
  return JSON.parse(text) as Record<string, unknown>;
}

async function createToken(httpAddress: string, managementToken: string, policy: string, rules: string, description: string): Promise<string> {
  await aclPut(httpAddress, managementToken, 'policy', { Name: policy, Description: description, Rules: rules });
  const token = await aclPut(httpAddress, managementToken, 'token', { Description: description, Policies: [{ Name: policy }] });
  if (typeof token.SecretID !== 'string') throw new Error(`Consul at ${httpAddress}: the new ${policy} token has no SecretID`);
  return token.SecretID;
}

/** Creates both policies and a token for each (once per Consul: the policy names are unique). */
export async function createQuantgridConsulTokens(httpAddress: string, managementToken: string): Promise<QuantgridConsulTokens> {
  const agent = await createToken(httpAddress, managementToken, AGENT_POLICY_NAME, AGENT_POLICY_RULES, 'quantgrid node agents: register and refresh quantgrid services');
  const coordinator = await createToken(httpAddress, managementToken, COORDINATOR_POLICY_NAME, COORDINATOR_POLICY_RULES, 'quantgrid coordinator: discover agents (read only)');
  return { agent, coordinator };
}

/** Writes a token as a one-line file only its owner can read (what --consul-token-file expects). */
export async function writeTokenFile(file: string, token: string): Promise<void> {
  await writeFile(file, `${token}\n`, { mode: 0o600 });
}
