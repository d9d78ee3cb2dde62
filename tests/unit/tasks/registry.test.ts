import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { cliKindByName } from '../../../cli/kinds/index.js';
import { loadQuantgridProto } from '../../../shared/grpc/proto-package.js';
import { allTaskKinds, selectTaskKind } from '../../../shared/tasks/registry.js';
import { DEFAULT_SPEC_LIMITS } from '../../../shared/tasks/task-kind.js';
import { fieldOf } from '../../helpers/task-kinds.js';

describe('the task kind registry', () => {
  const kinds = allTaskKinds();

  it('lists each kind once, with a one-line description, its own JobSpec member and a CLI file', () => {
    const jobSpec = loadQuantgridProto().definition['quantgrid.v1.JobSpec'] as { type: { field: Array<{ name: string; type: string }> } };
    // The oneof's members are JobSpec's message fields (the other fields are scalars).
    const members = jobSpec.type.field.filter((field) => field.type === 'TYPE_MESSAGE');
    assert.deepEqual(new Set(kinds.map((kind) => kind.name)).size, kinds.length);
    assert.deepEqual(new Set(kinds.map((kind) => kind.specMember)).size, kinds.length);
    assert.equal(members.length, kinds.length, 'every JobSpec.kind member has its kind');
    for (const kind of kinds) {
      assert.match(kind.description, /^[a-z][^\n]{10,150}$/, kind.name);
      assert.ok(Object.keys(kind.defaults).length > 0 && Object.keys(kind.limits).length > 0, `${kind.name} exports its defaults and limits`);
      // The loader names fields as they decode (camelCase); specField is the proto's own spelling.
      assert.ok(members.some((field) => field.name === kind.specMember), `JobSpec has ${kind.specField}`);
      assert.equal(kind.specField.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), kind.specMember, kind.name);
      assert.equal(cliKindByName(kind.name)?.kind, kind, `cli/kinds/${kind.name}.ts`);
      assert.ok(kind.sampleSpecs.length > 0, `${kind.name} has sample specs`);
    }
  });

  it('selects the kind by its JobSpec member and names the field when none is set', () => {
    for (const kind of kinds) assert.equal(selectTaskKind({ kind: kind.specMember, [kind.specMember]: {} }).kind, kind);
    assert.equal(fieldOf(() => selectTaskKind({})), 'spec.kind');
  });

  it('each kind\'s wire form of a validated spec validates back to the same spec, and says which stored datasets it reads', () => {
    for (const kind of kinds) {
      for (const raw of kind.sampleSpecs) {
        const spec = kind.validate(structuredClone(raw), DEFAULT_SPEC_LIMITS);
        assert.deepEqual(kind.validate(kind.toWire(spec), DEFAULT_SPEC_LIMITS), spec, `${kind.name} ${JSON.stringify(raw)}`);
        assert.deepEqual(kind.datasets(spec), [], 'synthetic data: no stored dataset');
      }
    }
    const id = 'ab'.repeat(32);
    for (const kind of kinds.filter((k) => k.resolveDatasets)) {
      // The first sample names its symbols (or assets); pointed at a stored dataset.
      const sample = kind.sampleSpecs[0] as Record<string, unknown>;
      const spec = kind.validate({ ...structuredClone(sample), dataset: { name: `sha256:${id}`, bars: 500 } }, DEFAULT_SPEC_LIMITS);
      assert.deepEqual(kind.datasets(spec), [id], kind.name);
    }
  });
});
