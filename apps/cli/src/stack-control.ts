import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

/** The repository root (where infra/local/stack lives). */
export const REPO_ROOT = resolve(__dirname, '../../..');

/** Runs `infra/local/stack <command>`, its output going to ours (or nowhere when quiet); returns its exit code. */
export function runStack(command: 'up' | 'down' | 'status', quiet = false): number {
  const r = spawnSync('bash', [resolve(REPO_ROOT, 'infra/local/stack'), command], { stdio: quiet ? 'ignore' : 'inherit', cwd: REPO_ROOT });
  return r.status ?? 1;
}
