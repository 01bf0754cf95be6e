import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { builtinModules } from 'node:module';
import path from 'node:path';

const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as {
  engines: { node: string };
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
const tools = JSON.parse(readFileSync('tsconfig.tools.json', 'utf8')) as {
  compilerOptions: { outDir: string };
  files: string[];
};
const nodeMajor = readFileSync('.nvmrc', 'utf8').trim().replace(/^v/, '').split('.')[0];

/** Package names a file loads at run time (`import type` and `export type` load nothing). */
function importsOf(file: string): { packages: string[]; relative: string[] } {
  const source = readFileSync(file, 'utf8');
  const specifiers = [
    ...source.matchAll(/^\s*(?:import|export)(?!\s+type\s)[^'"`;]*?from\s+'([^']+)'/gm),
    ...source.matchAll(/^\s*import\s+'([^']+)'/gm),
    ...source.matchAll(/\bimport\(\s*'([^']+)'\s*\)/g),
  ].map((match) => match[1]);
  const relative = specifiers.filter((specifier) => specifier.startsWith('.'));
  const packages = specifiers
    .filter((specifier) => !specifier.startsWith('.') && !specifier.startsWith('node:'))
    .filter((specifier) => !builtinModules.includes(specifier.split('/')[0]))
    .map((specifier) =>
      specifier
        .split('/')
        .slice(0, specifier.startsWith('@') ? 2 : 1)
        .join('/'),
    );
  return { packages, relative };
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith('.ts') && !name.endsWith('.d.ts'))
    .map((name) => path.join(dir, name));
}

/** The files a production process loads: src/ (less its specs) and the migrate tool with its imports. */
function runtimeFiles(): string[] {
  const files = new Set(tsFiles('src').filter((file) => !file.endsWith('.spec.ts')));
  const pending = [...tools.files];
  while (pending.length) {
    const file = path.normalize(pending.pop()!);
    if (files.has(file) && !tools.files.includes(file)) continue;
    files.add(file);
    for (const specifier of importsOf(file).relative) {
      pending.push(path.join(path.dirname(file), specifier.replace(/\.js$/, '.ts')));
    }
  }
  return [...files];
}

const packagesOf = (files: string[]) => new Set(files.flatMap((file) => importsOf(file).packages));

describe('packaging', () => {
  it('lists every package that production code loads in dependencies', () => {
    for (const name of packagesOf(runtimeFiles())) {
      expect(manifest.dependencies[name], `${name} is loaded at run time`).toBeDefined();
    }
  });

  it('keeps nothing in dependencies that production code does not load (or that a dependency does not need as a peer)', () => {
    const loaded = packagesOf(runtimeFiles());
    const peers = new Set(
      Object.keys(manifest.dependencies).flatMap((name) =>
        Object.keys(
          (
            JSON.parse(readFileSync(`node_modules/${name}/package.json`, 'utf8')) as {
              peerDependencies?: Record<string, string>;
            }
          ).peerDependencies ?? {},
        ),
      ),
    );
    for (const name of Object.keys(manifest.dependencies)) {
      expect(loaded.has(name) || peers.has(name), `${name}: belongs in devDependencies`).toBe(true);
    }
  });

  it('declares every package the tests, scripts, benchmark and dev tools load', () => {
    const other = ['test', 'scripts', 'bench', 'dev'].flatMap(tsFiles);
    for (const name of packagesOf(other)) {
      expect(manifest.dependencies[name] ?? manifest.devDependencies[name], name).toBeDefined();
    }
  });

  it('runs on the Node of .nvmrc, which the engines range admits', () => {
    expect(Number(nodeMajor)).toBeGreaterThanOrEqual(22);
    expect(manifest.engines.node.split('||').map((range) => range.trim())).toContainEqual(
      expect.stringMatching(new RegExp(`^(\\^${nodeMajor}\\.|>=\\s*${nodeMajor}\\b)`)),
    );
  });

  describe('Dockerfile', () => {
    const dockerfile = readFileSync('Dockerfile', 'utf8');
    const stages = dockerfile.split(/^FROM /m).slice(1);
    const runtime = stages.at(-1)!;

    it('builds on the Node of .nvmrc', () => {
      expect(dockerfile).toMatch(new RegExp(`^ARG NODE_IMAGE=node:${nodeMajor}-[a-z]+-slim$`, 'm'));
      for (const stage of stages) expect(stage).toMatch(/^\$\{NODE_IMAGE\}/);
    });

    it('ships production dependencies, dist/ and the migrations only, with a healthcheck and Node as PID 1', () => {
      const deps = stages.find((stage) => / AS deps\n/.test(stage))!;
      expect(deps).toMatch(/npm ci --omit=dev/);
      expect(runtime).toMatch(/COPY --from=deps \/app\/node_modules/);
      const copied = [...runtime.matchAll(/^COPY (?:--from=\w+ )?(\S+)/gm)].map((match) => match[1]);
      expect(copied.sort()).toEqual(['/app/dist', '/app/node_modules', 'package.json', 'prisma/migrations']);
      expect(runtime).toMatch(/^ENV NODE_ENV=production$/m);
      expect(runtime).toMatch(/^USER node$/m);
      expect(runtime).toMatch(/^HEALTHCHECK [^\n]*\\\n\s+CMD [^\n]*\/health\/live/m);
      expect(runtime).toMatch(/^CMD \["node", "--import", "\.\/dist\/tracing\/register\.js", "dist\/main\.js"\]$/m);
    });

    it('can migrate from built JS (what docker-compose runs), with no tsx', () => {
      expect(manifest.dependencies.tsx).toBeUndefined();
      const compose = readFileSync('docker-compose.yml', 'utf8');
      const built = path.join(tools.compilerOptions.outDir, tools.files[0].replace(/\.ts$/, '.js'));
      expect(compose).toContain(`command: ["node", "${built}"]`);
      expect(existsSync(tools.files[0])).toBe(true);
    });
  });
});
