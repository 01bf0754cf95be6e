#!/usr/bin/env node
// `node scripts/profile-top.mjs <file.cpuprofile> [N]`: the N functions with the most self time
// in a V8 CPU profile (from `node --cpu-prof`), with their file and line. The quick look before
// opening the profile in Chrome DevTools (Performance → Load profile) for the call tree.
import { readFileSync } from 'node:fs';

const [file, count = '25'] = process.argv.slice(2);
if (!file) {
  console.error('usage: node scripts/profile-top.mjs <file.cpuprofile> [N]');
  process.exit(2);
}
const profile = JSON.parse(readFileSync(file, 'utf8'));
const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map();
profile.samples.forEach((id, index) => {
  const { functionName, url, lineNumber } = nodes.get(id).callFrame;
  const where = `${functionName || '(anonymous)'} ${url.split('/').slice(-3).join('/')}:${lineNumber + 1}`;
  selfUs.set(where, (selfUs.get(where) ?? 0) + (profile.timeDeltas[index] ?? 0));
});
const total = profile.timeDeltas.reduce((sum, delta) => sum + delta, 0);
console.log(`${(total / 1000).toFixed(0)} ms sampled`);
for (const [where, us] of [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  console.log(`${(us / 1000).toFixed(1).padStart(9)} ms ${((100 * us) / total).toFixed(1).padStart(5)} %  ${where}`);
