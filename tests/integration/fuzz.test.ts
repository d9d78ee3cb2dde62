/**
 * A bounded, seeded fuzz of every RPC of both services (Coordinator and NodeAgent) against a real local
 * cluster: random messages built from the proto definitions and byte-level mutations of valid ones,
 * sent with a raw client whose serializers pass bytes through (so malformed protobuf reaches the
 * servers), each call with a 1 s deadline. Every call must end with a status (any code) within the
 * deadline plus slack, every process must still run afterwards, and the coordinator's memory must stay
 * bounded. QUANTGRID_FUZZ_SEED replays a run; QUANTGRID_FUZZ_CALLS changes its size.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { callTarget, signCall } from '../../shared/auth/cluster-proof.js';
import { CLUSTER_PROOF_METADATA } from '../../shared/grpc/cluster-proof-calls.js';
import protobuf from 'protobufjs';
import { startLocalCluster, type LocalCluster } from '../../scripts/local-cluster/index.js';
import { PROTO_FILES, PROTO_ROOT } from '../../shared/grpc/proto-package.js';
import { MAX_MESSAGE_BYTES } from '../../shared/grpc/message-limits.js';
import { connect } from '../helpers/jobs.js';

const SEED = Number(process.env.QUANTGRID_FUZZ_SEED ?? Math.floor(Math.random() * 2 ** 31));
const CALLS = Number(process.env.QUANTGRID_FUZZ_CALLS ?? 3000);
const DEADLINE_MS = 1000;
/** How late after its deadline a call's status may come (a loaded machine, the client's own timers). */
const SLACK_MS = 1500;
const IN_FLIGHT = 24;

/**
 * Who the calls claim to be: none, and a bearer token that means nothing; the test adds the cluster's
 * real admin token and a node's real proof of the cluster secret, so every method is fuzzed both
 * where it is refused at the door and where its handler really runs.
 */
export interface FuzzCredentials {
  name: string;
  /** The metadata of one call to `path` on the server at `address`. */
  metadata: (path: string, address: string) => grpc.Metadata;
  /** Fields these credentials add to the request of a call to `path` on `address` (an agent's clusterProof). */
  fields?: (path: string, address: string) => Record<string, string>;
}
function bearer(token: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set('authorization', `Bearer ${token}`);
  return metadata;
}

export const FUZZ_CREDENTIALS: FuzzCredentials[] = [
  { name: 'none', metadata: () => new grpc.Metadata() },
  {
    name: 'unknown bearer token',
    metadata: () => {
      const metadata = new grpc.Metadata();
      metadata.set('authorization', 'Bearer qg_not-a-real-token');
      return metadata;
    },
  },
];

/** mulberry32: a small seeded generator, so a failing run replays from its seed. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Fuzzer {
  constructor(private readonly random: () => number) {}

  int(max: number): number {
    return Math.floor(this.random() * max);
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  bytes(max: number): Buffer {
    const out = Buffer.alloc(this.int(max + 1));
    for (let i = 0; i < out.length; i++) out[i] = this.int(256);
    return out;
  }

  string(): string {
    return this.pick([
      () => '',
      () => 'x'.repeat(this.int(3) === 0 ? 100_000 : this.int(40)),
      () => this.pick(['synthetic', 'sha256:' + '0'.repeat(64), 'backtest', 'noop', '1h', '1m', 'auto', 'binance', 'BTCUSDT', '* * * * *', '0 2 * * *', 'UTC', 'skip', 'sma-crossover', 'sharpe', '1700000000000-0', '-1', '../../etc/passwd', '\u0000', 'ünïcødé ✓']),
      () => this.bytes(30).toString('latin1'),
      () => String(this.int(1_000_000)),
    ])();
  }

  number(type: string): number {
    const special = [0, 1, 2, -1, 100, 1000, 0xffffffff, 2 ** 31 - 1, -(2 ** 31), 2 ** 53];
    if (type === 'double' || type === 'float') return this.pick([...special, Number.NaN, Number.POSITIVE_INFINITY, -1e308, 1e20, this.random() * 1e6, -this.random()]);
    const value = this.chance(0.5) ? this.pick(special) : this.int(10_000);
    if (type.startsWith('uint') || type.startsWith('fixed')) return Math.abs(value) % 2 ** 32;
    if (type === 'int32' || type === 'sint32' || type === 'sfixed32') return value | 0;
    return value;
  }

  /** A random object for `type` (fields present or not, oneofs sometimes doubly set), `depth` levels of messages at most. */
  message(type: protobuf.Type, depth = 0): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of type.fieldsArray) {
      if (!this.chance(depth === 0 ? 0.7 : 0.5)) continue;
      const value = () => this.value(field, depth);
      if (field.map) {
        const entries: Record<string, unknown> = {};
        for (let i = this.int(4); i > 0; i--) entries[this.pick(['fast', 'slow', 'k', 'period', this.string()])] = value();
        out[field.name] = entries;
      } else if (field.repeated) {
        out[field.name] = Array.from({ length: this.int(5) }, value);
      } else {
        out[field.name] = value();
      }
    }
    return out;
  }

  private value(field: protobuf.Field, depth: number): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return depth >= 3 ? {} : this.message(resolved, depth + 1);
    if (resolved instanceof protobuf.Enum) return this.chance(0.8) ? this.pick(Object.values(resolved.values)) : this.int(1000);
    switch (field.type) {
      case 'string':
        return this.string();
      case 'bytes':
        return this.bytes(this.chance(0.05) ? 200_000 : 64);
      case 'bool':
        return this.chance(0.5);
      default:
        return this.number(field.type);
    }
  }

  /** Byte-level damage: flipped bytes, a cut, random bytes inserted, or nothing but noise. */
  mutate(bytes: Buffer): Buffer {
    const copy = Buffer.from(bytes);
    switch (this.int(5)) {
      case 0:
        for (let i = 1 + this.int(4); i > 0 && copy.length > 0; i--) copy[this.int(copy.length)] ^= 1 << this.int(8);
        return copy;
      case 1:
        return copy.subarray(0, this.int(copy.length + 1));
      case 2: {
        const at = this.int(copy.length + 1);
        return Buffer.concat([copy.subarray(0, at), this.bytes(16), copy.subarray(at)]);
      }
      case 3:
        return this.bytes(64);
      default:
        // A length-delimited field claiming more bytes than follow.
        return Buffer.concat([copy, Buffer.from([0x0a, 0xff, 0xff, 0x03])]);
    }
  }
}

interface Method {
  service: 'Coordinator' | 'NodeAgent';
  name: string;
  path: string;
  requestType: protobuf.Type;
  requestStream: boolean;
  responseStream: boolean;
}

/** Valid requests to start mutations from, for the methods where a random message rarely gets past the first check. */
function validExamples(jobId: string): Record<string, object[]> {
  const csv = Buffer.from('timestamp,open,high,low,close,volume\n1700000000000,1,2,0.5,1,1\n1700003600000,1,2,0.5,1,1\n');
  return {
    SubmitJob: [{ spec: { noop: { partitions: 2, workMs: 1 } } }, { spec: { backtest: { symbols: ['A'], dataset: { bars: 300 }, params: { fast: { start: 5, stop: 6, step: 1 }, slow: { start: 20, stop: 21, step: 1 } } } } }],
    GetJob: [{ jobId }],
    GetJobResult: [{ jobId }],
    WatchJob: [{ jobId }],
    GetJobLog: [{ jobId }, { jobId, afterId: '0-0', limit: 3, follow: true }],
    CancelJob: [{ jobId: 'fuzz-no-such-job' }],
    ListJobs: [{ limit: 5, status: 4 }],
    ImportDataset: [{ symbol: 'FUZZ', timeframe: '1h', content: csv }],
    FetchDataset: [{ id: '0'.repeat(64) }],
    TagDataset: [{ name: 'fuzz-tag', dataset: '0'.repeat(64) }],
    RemoveDataset: [{ name: 'fuzz-tag' }, { name: `sha256:${'0'.repeat(64)}`, force: true }],
    AddSchedule: [{ name: 'fuzz', cron: '0 2 * * *', template: { spec: { noop: {} } } }],
    RunPartition: [{ jobId: 'fuzz', partition: 0, kind: 'noop', specJson: '{"partitions":1,"workMs":1}', partitionJson: '{"index":0}', coordinatorVersion: '0' }],
  };
}

interface CallOutcome {
  code: grpc.status | 'none';
  ms: number;
}

describe('fuzz: every RPC of both services answers every message with a status', { timeout: 180_000 }, () => {
  let cluster: LocalCluster;
  let root: protobuf.Root;

  before(async () => {
    console.log(`# fuzz seed ${SEED} (replay: QUANTGRID_FUZZ_SEED=${SEED}), ${CALLS} calls`);
    root = new protobuf.Root();
    root.resolvePath = (_origin, target) => path.join(PROTO_ROOT, target);
    root.loadSync(PROTO_FILES);
    root.resolveAll();
    cluster = await startLocalCluster({ agents: [{ slots: 2 }] });
    await cluster.waitForNodes({ accept: (node) => node.state === 'ready' });
  });

  after(async () => {
    await cluster?.stop();
  });

  test('random and mutated messages: a status each within the deadline, no process exits, memory bounded', async () => {
    const random = generator(SEED);
    const fuzz = new Fuzzer(random);
    const methods: Method[] = [];
    for (const service of ['Coordinator', 'NodeAgent'] as const) {
      for (const method of root.lookupService(`quantgrid.v1.${service}`).methodsArray) {
        methods.push({
          service,
          name: method.name,
          path: `/quantgrid.v1.${service}/${method.name}`,
          requestType: method.resolvedRequestType!,
          requestStream: method.requestStream === true,
          responseStream: method.responseStream === true,
        });
      }
    }
    assert.ok(methods.length >= 18, `${methods.length} methods`);

    // The real credentials of this cluster too: a token with every role, and a node's proof of the cluster secret.
    const secret = (await cluster.clusterSecret())!;
    const credentials: FuzzCredentials[] = [
      ...FUZZ_CREDENTIALS,
      { name: 'admin token', metadata: () => bearer(cluster.coordinator.adminToken) },
      {
        name: 'cluster proof',
        // On the coordinator's API a node's proof is metadata; on an agent's service, a field of the request.
        metadata: (path, address) => {
          const metadata = new grpc.Metadata();
          if (path.startsWith('/quantgrid.v1.Coordinator/')) metadata.set(CLUSTER_PROOF_METADATA, signCall(secret, callTarget(address, path)));
          return metadata;
        },
        fields: (path, address): Record<string, string> => (path.startsWith('/quantgrid.v1.NodeAgent/') ? { clusterProof: signCall(secret, callTarget(address, path)) } : {}),
      },
    ];
    const connection = connect(cluster.coordinator);
    const { jobId } = await connection.submitJob({ spec: { noop: { partitions: 1 } } });
    connection.close();
    const examples = validExamples(jobId);
    const clients = {
      Coordinator: new grpc.Client(cluster.coordinator.address, grpc.credentials.createInsecure()),
      NodeAgent: new grpc.Client(cluster.agents[0].address, grpc.credentials.createInsecure()),
    };
    const pass = (bytes: Buffer) => bytes;

    const requestBytes = (method: Method, fields: Record<string, string> = {}): Buffer => {
      const valid = examples[method.name];
      const roll = random();
      if (roll < 0.002) return Buffer.alloc(MAX_MESSAGE_BYTES + 1024, 0x0a); // over the receive limit
      if (valid && roll < 0.45) {
        const bytes = Buffer.from(method.requestType.encode(method.requestType.fromObject({ ...fuzz.pick(valid), ...fields })).finish());
        return roll < 0.15 ? bytes : fuzz.mutate(bytes);
      }
      const message = method.requestType.encode(method.requestType.fromObject({ ...fuzz.message(method.requestType), ...fields })).finish();
      return roll < 0.8 ? Buffer.from(message) : fuzz.mutate(Buffer.from(message));
    };

    const call = (method: Method, credentials: FuzzCredentials): Promise<CallOutcome> => {
      const client = clients[method.service];
      const address = method.service === 'Coordinator' ? cluster.coordinator.address : cluster.agents[0].address;
      const metadata = credentials.metadata(method.path, address);
      const request = () => requestBytes(method, credentials.fields?.(method.path, address));
      const started = Date.now();
      const options = { deadline: started + DEADLINE_MS };
      return new Promise((resolve) => {
        let done = false;
        const finish = (code: grpc.status | 'none') => {
          if (done) return;
          done = true;
          clearTimeout(guard);
          resolve({ code, ms: Date.now() - started });
        };
        // Never wait for ever: a call without a status this long after its deadline is a failure.
        const guard = setTimeout(() => finish('none'), DEADLINE_MS + SLACK_MS + 1000);
        const onStatus = (error: grpc.ServiceError | null) => finish(error ? error.code : grpc.status.OK);
        if (method.requestStream) {
          const stream = client.makeClientStreamRequest(method.path, pass, pass, metadata, options, (error) => onStatus(error));
          for (let i = fuzz.int(6); i > 0; i--) {
            const part = fuzz.chance(0.5) ? request() : Buffer.from(method.requestType.encode(method.requestType.fromObject(fuzz.pick([{ header: { symbol: 'FZ', timeframe: '1h' } }, { content: fuzz.bytes(200) }, { end: true }]))).finish());
            stream.write(part);
          }
          if (fuzz.chance(0.8)) stream.end();
        } else if (method.responseStream) {
          const stream = client.makeServerStreamRequest(method.path, pass, pass, request(), metadata, options);
          stream.on('data', () => undefined);
          stream.on('error', (error: grpc.ServiceError) => onStatus(error));
          stream.on('status', (status: grpc.StatusObject) => {
            if (status.code === grpc.status.OK) finish(grpc.status.OK);
          });
        } else {
          client.makeUnaryRequest(method.path, pass, pass, request(), metadata, options, (error) => onStatus(error));
        }
      });
    };

    const pid = cluster.coordinator.process.pid;
    const rssOf = async (id: number) => Number(/^VmRSS:\s+(\d+) kB/m.exec(await readFile(`/proc/${id}/status`, 'utf8'))?.[1]) * 1024;
    const rssBefore = await rssOf(pid);
    const started = Date.now();
    const codes = new Map<string, number>();
    const late: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < CALLS) {
        const index = next++;
        const method = methods[index % methods.length];
        const picked = credentials[Math.floor(index / methods.length) % credentials.length];
        const outcome = await call(method, picked);
        const key = `${method.service}.${method.name} ${outcome.code === 'none' ? 'no status' : grpc.status[outcome.code]}`;
        codes.set(key, (codes.get(key) ?? 0) + 1);
        if (outcome.code === 'none' || outcome.ms > DEADLINE_MS + SLACK_MS) late.push(`call ${index}: ${key} after ${outcome.ms} ms (${picked.name})`);
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    const elapsed = Date.now() - started;
    clients.Coordinator.close();
    clients.NodeAgent.close();

    const rssAfter = await rssOf(pid);
    const mib = (n: number) => `${(n / 1048576).toFixed(0)} MiB`;
    console.log(`# ${CALLS} calls in ${elapsed} ms; coordinator RSS ${mib(rssBefore)} → ${mib(rssAfter)}`);
    for (const [key, count] of [...codes].sort()) console.log(`#   ${key}: ${count}`);
    assert.deepEqual(late.slice(0, 20), [], `calls without a status in time (seed ${SEED})`);
    assert.equal(cluster.coordinator.process.running, true, `the coordinator exited (seed ${SEED})`);
    for (const agent of cluster.agents) assert.equal(agent.process.running, true, `agent ${agent.nodeId} exited (seed ${SEED})`);
    assert.ok(rssAfter < rssBefore + 300 * 1048576, `coordinator RSS ${mib(rssBefore)} → ${mib(rssAfter)} (seed ${SEED})`);
    // Bad input is the caller's business; a handler failing unexpectedly (logged as such) is a bug.
    const unexpected = (await readFile(cluster.coordinator.logFile, 'utf8')).split('\n').filter((line) => /call failed unexpectedly|answer not sent/.test(line));
    assert.deepEqual(unexpected.slice(0, 5).map((line) => line.slice(0, 400)), [], `handlers failed unexpectedly (seed ${SEED})`);
    // Still serving: a real job runs to its end after the storm.
    const after = connect(cluster.coordinator);
    try {
      const listed = await after.listNodes();
      assert.ok(listed.nodes.length >= 1);
    } finally {
      after.close();
    }
  });
});
