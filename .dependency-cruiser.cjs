/**
 * The architecture of quantgrid as import rules, checked by tests/unit/architecture.test.ts
 * (or by hand: npx depcruise shared coordinator node-agent cli scripts bench tests --output-type err).
 * Paths are relative to the repository root; type-only imports count like any other. Every file
 * under the folders is checked, reached by a static import or not (cli/kinds/index.ts loads the
 * kinds' CLI files with import(`./${name}.js`), which no rule sees; the test checks they exist).
 */
const COORDINATOR_FOLDER = '^coordinator/[^/]+/';

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import circles anywhere: each module can be understood (and tested) after the ones it imports.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'shared-imports-no-process',
      severity: 'error',
      comment: 'shared/ is the base every process builds on: it imports nothing from the processes, scripts, benchmarks or tests.',
      from: { path: '^shared/' },
      to: { path: '^(coordinator|node-agent|cli|scripts|bench|tests)/' },
    },
    {
      name: 'cli-imports-no-other-process',
      severity: 'error',
      comment: 'The processes (cli, coordinator, node-agent) talk over gRPC, not imports: what two of them share lives in shared/.',
      from: { path: '^cli/' },
      to: { path: '^(coordinator|node-agent)/' },
    },
    {
      name: 'coordinator-imports-no-other-process',
      severity: 'error',
      comment: 'The processes (cli, coordinator, node-agent) talk over gRPC, not imports: what two of them share lives in shared/.',
      from: { path: '^coordinator/' },
      to: { path: '^(cli|node-agent)/' },
    },
    {
      name: 'node-agent-imports-no-other-process',
      severity: 'error',
      comment: 'The processes (cli, coordinator, node-agent) talk over gRPC, not imports: what two of them share lives in shared/.',
      from: { path: '^node-agent/' },
      to: { path: '^(cli|coordinator)/' },
    },
    {
      name: 'processes-import-no-scripts',
      severity: 'error',
      comment: 'scripts/ (the local cluster, the demo) starts the processes and may read their options; the processes import nothing from it.',
      from: { path: '^(cli|coordinator|node-agent)/' },
      to: { path: '^scripts/' },
    },
    {
      name: 'production-imports-no-tests-or-bench',
      severity: 'error',
      comment: 'Production code (shared, coordinator, node-agent, cli, scripts) does not depend on tests or benchmarks.',
      from: { path: '^(shared|coordinator|node-agent|cli|scripts)/' },
      to: { path: '^(tests|bench)/' },
    },
    {
      name: 'bench-imports-no-tests',
      severity: 'error',
      comment: 'Benchmarks measure the product, not the test helpers: what both need lives in shared/ (or bench/lib/).',
      from: { path: '^bench/' },
      to: { path: '^tests/' },
    },
    {
      name: 'coordinator-redis-is-a-leaf',
      severity: 'error',
      comment: 'coordinator/redis/ (connections, group commit) imports no other coordinator folder.',
      from: { path: '^coordinator/redis/' },
      to: { path: COORDINATOR_FOLDER, pathNot: '^coordinator/redis/' },
    },
    {
      name: 'coordinator-partitions-and-nodes-below-jobs',
      severity: 'error',
      comment: 'coordinator/partitions/ and coordinator/nodes/ import only each other, redis/ and config/.',
      from: { path: '^coordinator/(partitions|nodes)/' },
      to: { path: COORDINATOR_FOLDER, pathNot: '^coordinator/(partitions|nodes|redis|config)/' },
    },
    {
      name: 'coordinator-domain-imports-no-api',
      severity: 'error',
      comment: 'coordinator/jobs/, schedules/ and datasets/ do not import api/ (the gRPC layer sits on top of them).',
      from: { path: '^coordinator/(jobs|schedules|datasets|strategies)/' },
      to: { path: '^coordinator/api/' },
    },
    {
      name: 'coordinator-jobs-import-no-schedules',
      severity: 'error',
      comment: 'coordinator/jobs/ does not import schedules/ (schedules submit jobs, not the other way round).',
      from: { path: '^coordinator/jobs/' },
      to: { path: '^coordinator/schedules/' },
    },
    {
      name: 'nothing-imports-a-main',
      severity: 'error',
      comment: 'Each process\'s main.ts only wires (it alone may import from every folder); nothing imports a main.ts.',
      from: {},
      to: { path: '^(coordinator|node-agent|cli)/main\\.ts$' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    // Packages' "exports" maps (e.g. csv-parse/sync), as Node resolves them for ES modules.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'node', 'default', 'types'] },
  },
};
