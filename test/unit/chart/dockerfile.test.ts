import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

/** Dockerfile instructions, continuation lines joined, comments dropped, grouped by stage. */
function stages(text: string): { from: string; lines: string[] }[] {
  const lines = text.replace(/\\\n/g, ' ').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
  const out: { from: string; lines: string[] }[] = [];
  for (const line of lines) {
    if (/^FROM\s/i.test(line)) out.push({ from: line, lines: [] });
    else out.at(-1)?.lines.push(line);
  }
  return out;
}

describe('Dockerfile', () => {
  const all = stages(readFileSync('Dockerfile', 'utf8'));
  const final = all.at(-1)!;

  it('is multi-stage on Node 22 LTS', () => {
    assert.ok(all.length >= 2, 'at least a build stage and a final stage');
    for (const s of all) assert.match(s.from, /^FROM node:22(-|\s|$)/);
  });

  it('the final stage runs as a non-root numeric user', () => {
    const user = final.lines.filter((l) => /^USER\s/i.test(l)).at(-1);
    assert.ok(user !== undefined, 'a USER instruction in the final stage');
    const [uid] = user.replace(/^USER\s+/i, '').split(':');
    assert.match(uid!, /^\d+$/, 'numeric, so runAsNonRoot can verify it');
    assert.notEqual(Number(uid), 0);
  });

  it('production dependencies come from npm ci --omit=dev and dev dependencies never reach the final stage', () => {
    const run = all.flatMap((s) => s.lines).filter((l) => /^RUN\s/i.test(l));
    assert.ok(run.some((l) => /npm ci\b.*--omit=dev/.test(l)), 'npm ci --omit=dev');
    const copiedModules = final.lines.filter((l) => /^COPY\s.*node_modules/.test(l));
    assert.equal(copiedModules.length, 1);
    const stageName = /--from=(\S+)/.exec(copiedModules[0]!)?.[1];
    const source = all.find((s) => new RegExp(`\\sAS\\s+${stageName}$`, 'i').test(s.from));
    assert.ok(source?.lines.some((l) => /npm ci\b.*--omit=dev/.test(l)), `node_modules come from the --omit=dev stage, not ${stageName}`);
    assert.equal(final.lines.some((l) => /^RUN\s.*npm (ci|install)/.test(l) && !/--omit=dev/.test(l)), false);
  });

  it('the final stage holds only the compiled server, its dependencies and package.json', () => {
    const copies = final.lines.filter((l) => /^COPY\s/i.test(l)).map((l) => l.split(/\s+/).filter((w) => !w.startsWith('--')).slice(1, -1).join(' '));
    assert.deepEqual(copies.sort(), ['/app/node_modules', '/src/dist', 'package.json']);
    assert.ok(final.lines.includes('ENTRYPOINT ["node", "/app/dist/cli.js"]'));
  });

  it('.dockerignore keeps secrets, dependencies and build output out of the build context', () => {
    const ignored = readFileSync('.dockerignore', 'utf8').split('\n').map((l) => l.trim());
    for (const entry of ['.git', 'node_modules', 'dist', 'certs', 'test', '.env']) assert.ok(ignored.includes(entry), `.dockerignore lists ${entry}`);
    // What the build stage copies must stay in the context.
    for (const needed of ['src', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) assert.equal(ignored.includes(needed), false, `${needed} is needed by the build`);
  });
});
