import { AGENT_SERVICE_NAME } from '../shared/consul-names.js';
import { consulAclRefusalMessage, createConsulClient, isConsulAclRefusal } from '../shared/consul-client.js';
import type { Logger } from '../shared/logging.js';
import { errorMessage } from '../shared/errors.js';
import type { ConsulEndpoint } from '../shared/config/consul-option.js';
import type { SecretFile } from '../shared/config/secret-file.js';

/** The Consul service name every agent registers under; the coordinator discovers agents by it. */

/** What is registered: Meta values are strings (Consul's rule). */
export interface AgentServiceRegistration {
  id: string;
  address: string;
  port: number;
  meta: Record<string, string>;
}

export interface AgentMetaInput {
  cores: number;
  slots: number;
  memoryTotalBytes: number;
  cpuSpeedGhz: number;
  capabilities: readonly string[];
  /** Task kinds this node is specialised in (--specialties). */
  specialties: readonly string[];
  version: string;
  /** The /metrics endpoint, when it is on: Prometheus' Consul discovery reads it (docs/deployment.md). */
  metrics?: { port: number; scheme: 'http' | 'https' };
}

/**
 * Service Meta the coordinator reads: cores, slots, memory (total bytes), cpu_speed (GHz),
 * capabilities and specialties (comma-joined), version; and for Prometheus metrics_port and metrics_scheme.
 */
export function agentServiceMeta(input: AgentMetaInput): Record<string, string> {
  return {
    cores: String(input.cores),
    slots: String(input.slots),
    memory: String(Math.round(input.memoryTotalBytes)),
    cpu_speed: String(input.cpuSpeedGhz),
    capabilities: input.capabilities.join(','),
    specialties: input.specialties.join(','),
    version: input.version,
    ...(input.metrics ? { metrics_port: String(input.metrics.port), metrics_scheme: input.metrics.scheme } : {}),
  };
}

/**
 * The note sent with every TTL refresh (the check's output in Consul): what changes only with the
 * agent's state — busy slots, slots, draining — never a reading that moves every second. Consul
 * copies a changed output into its catalog (once per check_update_interval, 5 min by default),
 * and each copy wakes every coordinator's discovery query, which then reads the whole node list:
 * with a CPU reading in the note, a thousand idle agents would wake it a few times a second.
 */
export function agentCheckNote(state: { busySlots: number; slots: number; draining: boolean }): string {
  return JSON.stringify({ busy: state.busySlots, slots: state.slots, draining: state.draining });
}

/** Id of the TTL check of a registered agent. */
export function agentCheckId(serviceId: string): string {
  return `service:${serviceId}`;
}

/** A failed Consul request: statusCode is set when Consul answered (non-2xx), unset when unreachable. */
export class ConsulRequestError extends Error {
  constructor(
    message: string,
    readonly statusCode: number | undefined,
  ) {
    super(message);
    this.name = 'ConsulRequestError';
  }
}

/** The three agent-endpoint calls registration needs; a fake replaces it in unit tests. */
export interface ConsulAgentApi {
  register(service: AgentServiceRegistration, check: { id: string; ttlMs: number; deregisterAfterMs: number }): Promise<void>;
  pass(checkId: string, note: string): Promise<void>;
  deregister(serviceId: string): Promise<void>;
  close(): void;
}

interface PapiLikeError {
  message?: string;
  isResponse?: boolean;
  statusCode?: number;
  response?: { statusCode?: number; body?: unknown };
}

function toConsulError(error: unknown): ConsulRequestError {
  const e = (error ?? {}) as PapiLikeError;
  const statusCode = e.isResponse ? (e.statusCode ?? e.response?.statusCode) : undefined;
  let message = errorMessage(error);
  const body = e.response?.body;
  if (statusCode !== undefined && body !== undefined && body !== null) {
    const text = Buffer.isBuffer(body) ? body.toString('utf8') : typeof body === 'string' ? body : JSON.stringify(body);
    if (text.trim() !== '') message = `HTTP ${statusCode}: ${text.trim().slice(0, 300)}`;
  }
  return new ConsulRequestError(message, statusCode);
}

/**
 * ConsulAgentApi over the `consul` npm client (v2, promise API); token (--consul-token-file) goes
 * with every call: registration, TTL refreshes and deregistration.
 */
export function consulAgentApi(endpoint: ConsulEndpoint, token: SecretFile | undefined, requestTimeoutMs = 3_000): ConsulAgentApi {
  const consul = createConsulClient(endpoint, token);
  // The typings omit the per-request timeout the client accepts; hence the loose option objects.
  type Loose = Record<string, unknown>;
  const agent = consul.agent as unknown as {
    service: { register(o: Loose): Promise<unknown>; deregister(o: Loose): Promise<unknown> };
    check: { pass(o: Loose): Promise<unknown> };
  };
  const call = async (request: () => Promise<unknown>): Promise<void> => {
    try {
      await request();
    } catch (error) {
      throw toConsulError(error);
    }
  };
  return {
    register: (service, check) =>
      call(() =>
        agent.service.register({
          name: AGENT_SERVICE_NAME,
          id: service.id,
          address: service.address,
          port: service.port,
          meta: service.meta,
          check: {
            checkid: check.id,
            name: 'quantgrid agent alive',
            ttl: `${check.ttlMs}ms`,
            status: 'passing',
            deregistercriticalserviceafter: `${check.deregisterAfterMs}ms`,
          },
          timeout: requestTimeoutMs,
        }),
      ),
    pass: (checkId, note) => call(() => agent.check.pass({ id: checkId, note, timeout: requestTimeoutMs })),
    deregister: (serviceId) => call(() => agent.service.deregister({ id: serviceId, timeout: requestTimeoutMs })),
    close: () => consul.destroy(),
  };
}

export type RegistrationState = 'idle' | 'registering' | 'registered' | 'stopped';

export interface ConsulRegistrationOptions {
  api: ConsulAgentApi;
  service: AgentServiceRegistration;
  checkTtlMs: number;
  deregisterAfterMs: number;
  /** Short text (a JSON load summary) sent with every TTL refresh. */
  note: () => string;
  logger: Logger;
  /** Where Consul is, for log lines. */
  consulUrl: string;
  /** Whether api sends a token (--consul-token-file): says which refusal message fits. Default false. */
  tokenConfigured?: boolean;
  refreshMs?: number;
  backoffInitialMs?: number;
  backoffMaxMs?: number;
}

/**
 * Keeps this agent registered in Consul: registers with a passing TTL check, refreshes it every
 * refreshMs, and never gives up: while Consul is unreachable it retries with capped exponential
 * backoff; when Consul answers a refresh with an error (the check is unknown, e.g. after a Consul
 * restart lost the registration) it registers again at once. When Consul refuses the token (HTTP
 * 403: unknown token, or one without service:write) it says so in one error line naming
 * --consul-token-file, then keeps retrying with backoff, logging again only when the refusal changes.
 */
export class ConsulRegistration {
  private readonly refreshMs: number;
  private readonly backoffInitialMs: number;
  private readonly backoffMaxMs: number;
  private currentState: RegistrationState = 'idle';
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private everRegistered = false;
  private readonly registeredWaiters = new Set<() => void>();

  constructor(private readonly options: ConsulRegistrationOptions) {
    this.refreshMs = options.refreshMs ?? 1_000;
    this.backoffInitialMs = options.backoffInitialMs ?? 250;
    this.backoffMaxMs = options.backoffMaxMs ?? 5_000;
  }

  get state(): RegistrationState {
    return this.currentState;
  }

  get checkId(): string {
    return agentCheckId(this.options.service.id);
  }

  /** Starts registering in the background; never throws, never rejects. */
  start(): void {
    if (this.loopDone || this.stopped) return;
    this.currentState = 'registering';
    this.loopDone = this.loop();
  }

  /** Resolves true once registered, false after timeoutMs or when stopped first. */
  waitUntilRegistered(timeoutMs: number): Promise<boolean> {
    if (this.currentState === 'registered') return Promise.resolve(true);
    if (this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (value: boolean) => {
        clearTimeout(timer);
        this.registeredWaiters.delete(onRegistered);
        resolve(value);
      };
      const onRegistered = () => done(this.currentState === 'registered');
      const timer = setTimeout(() => done(false), timeoutMs);
      this.registeredWaiters.add(onRegistered);
    });
  }

  /**
   * Stops refreshing and removes the service from Consul (so no new work is routed here). Waits for a
   * request in flight first, so a late registration cannot bring the service back. Never rejects.
   */
  async deregister(): Promise<void> {
    if (this.stopped) {
      await this.loopDone;
      return;
    }
    this.stopped = true;
    this.wake?.();
    await this.loopDone;
    this.currentState = 'stopped';
    this.notifyWaiters();
    const { api, service, logger, consulUrl } = this.options;
    if (this.everRegistered) {
      try {
        await api.deregister(service.id);
        logger.info({ serviceId: service.id, consul: consulUrl }, 'deregistered from Consul');
      } catch (error) {
        const statusCode = error instanceof ConsulRequestError ? error.statusCode : undefined;
        const reason = isConsulAclRefusal(statusCode) ? consulAclRefusalMessage(this.options.tokenConfigured ?? false, errorMessage(error)) : errorMessage(error);
        logger.warn(
          { serviceId: service.id, consul: consulUrl, err: reason },
          'could not deregister from Consul; the check turns critical after its TTL instead',
        );
      }
    }
    api.close();
  }

  private notifyWaiters(): void {
    for (const waiter of [...this.registeredWaiters]) waiter();
  }

  private sleep(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
    });
  }

  private async loop(): Promise<void> {
    const { api, service, logger, consulUrl } = this.options;
    const check = { id: this.checkId, ttlMs: this.options.checkTtlMs, deregisterAfterMs: this.options.deregisterAfterMs };
    let failures = 0;
    /** Consul's reason while it refuses the token (logged once per distinct reason); undefined otherwise. */
    let refusal: string | undefined;
    while (!this.stopped) {
      const registered = this.currentState === 'registered';
      try {
        if (!registered) {
          await api.register(service, check);
          if (this.stopped) {
            this.everRegistered = true;
            break;
          }
          logger.info(
            { serviceId: service.id, address: `${service.address}:${service.port}`, consul: consulUrl, afterFailures: failures },
            this.everRegistered ? 're-registered with Consul' : 'registered with Consul',
          );
          refusal = undefined;
          this.everRegistered = true;
          this.currentState = 'registered';
          this.notifyWaiters();
        } else {
          let note = '';
          try {
            note = this.options.note();
          } catch (error) {
            note = JSON.stringify({ noteError: errorMessage(error) });
          }
          await api.pass(check.id, note);
          if (failures > 0) logger.info({ consul: consulUrl, afterFailures: failures }, 'Consul reachable again');
        }
        failures = 0;
        await this.sleep(this.refreshMs);
      } catch (error) {
        if (this.stopped) break;
        const statusCode = error instanceof ConsulRequestError ? error.statusCode : undefined;
        if (isConsulAclRefusal(statusCode)) {
          failures++;
          const delay = this.backoff(failures);
          const reason = errorMessage(error);
          if (reason !== refusal) {
            logger.error(
              { serviceId: service.id, consul: consulUrl, statusCode, retryBackoffMaxMs: this.backoffMaxMs },
              `${consulAclRefusalMessage(this.options.tokenConfigured ?? false, reason)}; retrying`,
            );
            refusal = reason;
          }
          this.currentState = 'registering';
          await this.sleep(delay);
          continue;
        }
        refusal = undefined;
        if (registered && statusCode !== undefined) {
          // Consul answered but refused the refresh: it does not know the check (restarted, or the
          // registration was removed). Register again right away.
          logger.warn(
            { serviceId: service.id, consul: consulUrl, statusCode, err: errorMessage(error) },
            'Consul no longer knows this agent\'s check; registering again',
          );
          this.currentState = 'registering';
          failures++;
          if (failures > 1) await this.sleep(this.backoff(failures - 1));
          continue;
        }
        failures++;
        const delay = this.backoff(failures);
        logger.warn(
          { consul: consulUrl, attempt: failures, retryInMs: delay, statusCode, err: errorMessage(error) },
          registered ? 'cannot refresh the Consul check; retrying' : 'cannot register with Consul; retrying',
        );
        await this.sleep(delay);
      }
    }
  }

  private backoff(failures: number): number {
    return Math.min(this.backoffMaxMs, this.backoffInitialMs * 2 ** Math.min(20, failures - 1));
  }
}
