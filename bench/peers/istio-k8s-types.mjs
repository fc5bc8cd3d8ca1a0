// Regenerates src/kube-inject/k8s-types.ts: how the Go types of the objects kube-inject handles read
// and write JSON, described by the Istio peer (bench/peers/istio, command k8s-types) from the
// Kubernetes API module Istio's injector is built with. Needs Go (to build the peer once).
//
//   npm run peers:k8s-types
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureIstioPeer } from './istio-peer.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const target = join(ROOT, 'src/kube-inject/k8s-types.ts');
try {
  const text = execFileSync(ensureIstioPeer(), ['k8s-types'], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
