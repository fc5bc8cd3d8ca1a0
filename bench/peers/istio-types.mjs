// Regenerates the descriptions of Go and protobuf types that the injector reads and writes as
// Istio does, from the modules Istio's injector is built with (the peer, bench/peers/istio):
//   src/injection/k8s-types.ts           Kubernetes' Go types of the objects kube-inject handles
//   src/injection/proxy-config-types.ts  the JSON form of Istio's ProxyConfig
// Needs Go (to build the peer once).
//
//   npm run peers:types
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureIstioPeer } from './istio-peer.mjs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const OUTPUTS = [
  ['k8s-types', 'src/injection/k8s-types.ts'],
  ['proxy-config-types', 'src/injection/proxy-config-types.ts'],
];
try {
  const peer = ensureIstioPeer();
  for (const [command, file] of OUTPUTS) {
    writeFileSync(join(ROOT, file), execFileSync(peer, [command], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }));
    process.stdout.write(`wrote ${file}\n`);
  }
} catch (err) {
  process.stderr.write(`${err.message}\n`);
  process.exit(1);
}
