/**
 * `npm run cluster`: a local Kubernetes control plane with our webhook registered, until Ctrl-C.
 * Builds missing binaries first (Go needed once), starts etcd, kube-apiserver and
 * kube-controller-manager under .cache/cluster/local/ (fresh etcd data each time), then
 * `sidecar-injector serve` from dist/, registered through a Service like in a real cluster.
 */
import { join } from 'node:path';
import { BIN_DIR, CACHE_DIR, MissingToolchainError, ensureBinaries } from './lib/binaries.js';
import { startControlPlane, type ControlPlane } from './lib/control-plane.js';
import { startInjector, type Injector } from './lib/injector.js';

const dir = join(CACHE_DIR, 'local');
const log = (line: string) => process.stderr.write(`cluster: ${line}\n`);

let cp: ControlPlane | undefined;
let injector: Injector | undefined;
let stopping: Promise<void> | undefined;

function shutdown(code: number): Promise<void> {
  stopping ??= (async () => {
    if (cp !== undefined) {
      log('stopping');
      await injector?.stop();
      await cp.stop();
      log('stopped');
    }
    process.exit(code);
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => void shutdown(0));
}

try {
  await ensureBinaries(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kubectl'], log);
  cp = await startControlPlane({
    dir,
    log,
    // While it is still starting, startControlPlane notices the exit itself, stops the rest and throws.
    onUnexpectedExit: (name, description, tail) => {
      if (cp === undefined) return;
      log(`${name} stopped unexpectedly (${description}):\n${tail}`);
      void shutdown(1);
    },
  });
  if (stopping) await stopping;
  injector = await startInjector(cp);
  const t = cp.timings;
  process.stdout.write(`
Control plane ready: /readyz after ${t.readySeconds.toFixed(1)} s, controllers after ${t.serviceAccountSeconds.toFixed(1)} s.
sidecar-injector serves https://127.0.0.1:${injector.port}/inject, registered as the Service ${injector.service}.${injector.namespace}.svc.
Logs: ${join(cp.dir, 'logs')}/ and ${injector.logFile}. Ctrl-C stops everything.

In another shell (the PATH line puts the kubectl built with this control plane first):

  export KUBECONFIG=${cp.kubeconfig}
  export PATH=${BIN_DIR}:$PATH
  kubectl create namespace demo && kubectl label namespace demo istio-injection=enabled
  kubectl create deployment web --image=nginx --namespace demo
  kubectl get pods --namespace demo -o jsonpath='{.items[0].spec.containers[*].name}{"\\n"}'

Pods are stored but never run: there is no node.
`);
} catch (err) {
  const message = err instanceof MissingToolchainError ? err.message : (err as Error).message;
  process.stderr.write(`error: ${message}\n`);
  await shutdown(1);
}
