#!/usr/bin/env node
// Runs the project's tests with Node's own test runner, TypeScript compiled on the fly by @swc-node/register.
//   node tools/test.mjs [--unit | --integration | --all] [path ...]
// Unit tests are `*.spec.ts`; tests that need the real Kafka, registry and PostgreSQL are `*.int.spec.ts`
// and expect the local stack (`infra/local/stack up`). Default: --unit over apps, libs and test.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const args = process.argv.slice(2);
const mode = args.find((a) => a.startsWith('--')) ?? '--unit';
const roots = args.filter((a) => !a.startsWith('--'));
if (roots.length === 0) roots.push('libs', 'apps', 'test', 'tools', 'infra');

/** Collects spec files below a folder, skipping dependencies and build output. */
function specs(dir, out = []) {
  let st;
  try { st = statSync(dir); } catch { return out; }
  if (st.isFile()) { if (dir.endsWith('.spec.ts')) out.push(dir); return out; }
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    specs(join(dir, name), out);
  }
  return out;
}

const all = roots.flatMap((r) => specs(r)).sort();
const isInt = (f) => f.endsWith('.int.spec.ts');
const files = all.filter((f) => (mode === '--all' ? true : mode === '--integration' ? isInt(f) : !isInt(f)));
if (files.length === 0) {
  console.error(`no ${mode.slice(2)} test files under ${roots.join(', ')}`);
  process.exit(1);
}
const concurrency = mode === '--unit' ? [] : ['--test-concurrency=1'];
// No test may hang the run: each test fails after 5 minutes, and the whole run stops after 75
// (CI allows 90 minutes in all), saying so.
const RUN_LIMIT_MS = Number(process.env.EARSHOT_TEST_RUN_LIMIT_MS ?? 75 * 60_000);
const r = spawnSync(process.execPath, [
  '--require', '@swc-node/register', '--enable-source-maps', '--test', '--test-reporter=spec', '--test-timeout=300000',
  ...concurrency, ...files,
], { stdio: 'inherit', env: { ...process.env, SWC_NODE_PROJECT: 'tsconfig.json' }, timeout: RUN_LIMIT_MS, killSignal: 'SIGKILL' });
if (r.error && r.error.code === 'ETIMEDOUT') {
  console.error(`tests: stopped after ${RUN_LIMIT_MS / 60_000} minutes (EARSHOT_TEST_RUN_LIMIT_MS): a test or the process it started hung`);
  process.exit(1);
}
process.exit(r.status ?? 1);
