import { NotFound, ValidationError } from '../../shared/errors.js';
import type { CoordinatorHandlers } from '../../shared/generated/quantgrid/v1/Coordinator.js';
import type { StrategyInfo } from '../../shared/generated/quantgrid/v1/StrategyInfo.js';
import type { Logger } from '../../shared/logging.js';
import { MAX_STRATEGY_BUNDLE_BYTES } from '../../shared/sandbox/strategy-limits.js';
import { parseStrategyRef, STRATEGY_ID_PATTERN, strategyId } from '../../shared/sandbox/strategy-ref.js';
import type { AuditLog } from '../audit/audit-log.js';
import { checkOwnerOrAdmin, principalOf } from '../auth/principal.js';
import { checkPushedStrategy } from '../strategies/strategy-checker.js';
import { StrategyStore, type StoredStrategyInfo } from '../strategies/strategy-store.js';
import { STRATEGY_STORE } from './dependency-failure.js';
import { requiredId } from './request-fields.js';
import { unary, type RpcContext } from './rpc-handlers.js';

export type StrategyRpcName = 'PushStrategy' | 'ListStrategies' | 'GetStrategy' | 'RemoveStrategy' | 'FetchStrategy';

export function toStrategyInfo(info: StoredStrategyInfo & { latest?: boolean }, alreadyPresent = false): StrategyInfo {
  return {
    id: info.id,
    name: info.name,
    description: info.description,
    owner: info.owner,
    pushedAtMs: info.pushedAtMs,
    bytes: info.bytes,
    manifestJson: JSON.stringify(info.manifest),
    alreadyPresent,
    latest: info.latest ?? false,
  };
}

/** Pushing, listing, showing and removing users' strategies, and serving bundles to node agents. */
export function createStrategyHandlers(strategies: StrategyStore, audit: AuditLog, log: Logger): Pick<CoordinatorHandlers, StrategyRpcName> {
  const context = (rpc: StrategyRpcName): RpcContext => ({ rpc, log, dependency: STRATEGY_STORE });
  return {
    PushStrategy: unary(context('PushStrategy'), async ({ code, name }, call) => {
      const owner = principalOf(call).user;
      if (code === '') throw new ValidationError('code', 'is required (the bundle quantgrid strategy push makes)');
      const bytes = Buffer.byteLength(code, 'utf8');
      if (bytes > MAX_STRATEGY_BUNDLE_BYTES) throw new ValidationError('code', `is ${bytes} bytes, over the ${MAX_STRATEGY_BUNDLE_BYTES} a strategy may have`);
      if (name !== '') StrategyStore.checkName(name, 'name');
      const id = strategyId(code);
      const manifest = await checkPushedStrategy(code, `${name || 'strategy'}@${id.slice(0, 12)}`);
      const storedName = StrategyStore.checkName(name || manifest.name, name ? 'name' : 'code');
      const info = await strategies.push(code, storedName, manifest, owner);
      log.info({ strategy: storedName, id, bytes, owner, alreadyPresent: info.alreadyPresent }, 'strategy pushed');
      await audit.append({ user: owner, action: 'strategy.push', target: `${storedName}@${id}`, detail: `${bytes} bytes${info.alreadyPresent ? ', already present' : ''}` });
      return toStrategyInfo(info, info.alreadyPresent);
    }),

    ListStrategies: unary(context('ListStrategies'), async ({ name }) => {
      if (name !== '') parseStrategyRef(name, 'name');
      return { strategies: (await strategies.list(name || undefined)).map((info) => toStrategyInfo(info)) };
    }),

    GetStrategy: unary(context('GetStrategy'), async ({ ref }) => {
      const info = await strategies.resolve(requiredId('ref', ref), 'ref');
      const stored = await strategies.code(info.id);
      if (stored === undefined) throw new NotFound('strategy bundle', info.id);
      return { info: toStrategyInfo(info), code: stored.code };
    }),

    RemoveStrategy: unary(context('RemoveStrategy'), async ({ ref }, call) => {
      const principal = principalOf(call);
      const parsed = parseStrategyRef(requiredId('ref', ref), 'ref');
      const versions = parsed.id ? [await strategies.resolve(parsed, 'ref')] : await strategies.list(parsed.name);
      if (versions.length === 0) throw new NotFound('strategy', parsed.name);
      for (const version of versions) checkOwnerOrAdmin(principal, version.owner, `strategy ${version.name}@${version.id.slice(0, 12)}`);
      await strategies.remove(parsed.name, versions.map((v) => v.id));
      log.info({ strategy: parsed.name, ids: versions.map((v) => v.id), user: principal.user }, 'strategy removed');
      for (const version of versions) await audit.append({ user: principal.user, action: 'strategy.remove', target: `${version.name}@${version.id}`, detail: '' });
      return { strategies: versions.map((info) => toStrategyInfo({ ...info, latest: false })) };
    }),

    FetchStrategy: unary(context('FetchStrategy'), async ({ id }) => {
      if (!STRATEGY_ID_PATTERN.test(requiredId('id', id))) throw new ValidationError('id', 'must be 64 lower-case hex digits');
      const stored = await strategies.code(id);
      if (stored === undefined) throw new NotFound('strategy bundle', id);
      const { code, manifest } = stored;
      const info = { id, name: manifest.name, description: manifest.description, owner: '', pushedAtMs: 0, bytes: Buffer.byteLength(code, 'utf8'), manifest };
      return { code, info: toStrategyInfo(info) };
    }),
  };
}
