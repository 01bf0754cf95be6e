import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/** The commit the mixed workload is compared with by default: the one before issue 14. */
export const DEFAULT_BASELINE_COMMIT = '80dd56f';

/**
 * Another commit of this repository built as production runs it, for a comparison in the same run:
 * a detached git worktree under the OS temp dir, one per commit, built once and reused. Its
 * dependencies are this checkout's node_modules (a symlink) when both lockfiles install the same
 * tree, else its own `npm ci --prefer-offline`. Returns the directory (run its dist/main.js there).
 */
export function buildBaseline(commit: string): { dir: string; sha: string } {
  const sha = git('rev-parse', '--verify', `${commit}^{commit}`);
  // One per repository (clones elsewhere on the machine, CI's included, get their own).
  const repository = createHash('sha256')
    .update(resolve(git('rev-parse', '--git-common-dir')))
    .digest('hex');
  const dir = join(tmpdir(), `store-api-baseline-${sha.slice(0, 12)}-${repository.slice(0, 8)}`);
  const marker = join(dir, '.bench-built');
  const built = existsSync(marker) && readFileSync(marker, 'utf8') === sha;
  if (built && dependenciesReady(dir)) return { dir, sha };
  console.log(`building the baseline ${sha.slice(0, 12)} in ${dir}`);
  if (!existsSync(join(dir, '.git'))) {
    git('worktree', 'prune'); // a worktree whose directory the OS cleaned up
    rmSync(dir, { recursive: true, force: true });
    git('worktree', 'add', '--detach', '--force', dir, sha);
  }
  if (!dependenciesReady(dir)) run(dir, 'npm', 'ci', '--prefer-offline', '--no-audit', '--no-fund');
  // The Prisma client is generated into the checkout (src/generated), not node_modules.
  if (existsSync(join(dir, 'scripts/prisma-generate.mjs'))) run(dir, process.execPath, 'scripts/prisma-generate.mjs');
  else run(dir, 'npx', 'prisma', 'generate');
  run(dir, 'npx', 'nest', 'build');
  writeFileSync(marker, sha);
  return { dir, sha };
}

/**
 * Whether the baseline's dependencies are in place: its own `npm ci`, or a link to this checkout's
 * node_modules when both lockfiles install the same tree (a link to another checkout's — which may
 * be gone — or to a tree that no longer matches is replaced or removed).
 */
function dependenciesReady(dir: string): boolean {
  const link = join(dir, 'node_modules');
  const ours = resolve('node_modules');
  const found = lstatSync(link, { throwIfNoEntry: false });
  if (found && !found.isSymbolicLink()) return true;
  const same = sameInstalledTree('package-lock.json', join(dir, 'package-lock.json'));
  if (found && same && readlinkSync(link) === ours) return true;
  if (found) rmSync(link, { force: true });
  if (same) symlinkSync(ours, link, 'dir');
  return same;
}

function git(...args: string[]): string {
  return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
}

function run(cwd: string, command: string, ...args: string[]): void {
  const result = spawnSync(command, args, { cwd, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`baseline: ${command} ${args.join(' ')} failed in ${cwd}`);
}

/** Both lockfiles pin the same packages (the root entry, this project's own manifest, aside). */
function sameInstalledTree(ours: string, theirs: string): boolean {
  const packages = (file: string) => {
    const lock = JSON.parse(readFileSync(file, 'utf8')) as { packages: Record<string, unknown> };
    delete lock.packages[''];
    return JSON.stringify(lock.packages);
  };
  return existsSync(theirs) && packages(ours) === packages(theirs);
}
