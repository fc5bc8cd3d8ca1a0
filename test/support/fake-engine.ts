/** A tiny stand-in injection engine for tests of the HTTP and admission layers. */
import type { Engine } from '../../src/admission/review.js';
import type { InjectorConfig } from '../../src/config/index.js';
import type { Pod } from '../../src/injection/index.js';

/** Enough of a configuration for a fake engine, which ignores it. */
export const FAKE_CONFIG: InjectorConfig = Object.freeze({
  values: {},
  mesh: {},
  injector: {},
  sources: { values: 'test', mesh: 'test', injector: 'test' },
});

/** Adds a container named `sidecar` and a label; skips pods labelled `skip`. */
export const fakeEngine: Engine = {
  decide: (req) =>
    req.pod.metadata?.labels?.skip === 'true'
      ? { inject: false, reason: 'label-opt-out', message: 'the pod opts out' }
      : { inject: true, reason: 'default-policy' },
  render: (req) => {
    const pod = structuredClone(req.pod) as Pod;
    pod.metadata = { ...pod.metadata, labels: { ...pod.metadata?.labels, injected: req.clusterId ?? 'yes' } };
    const containers = pod.spec!.containers as Array<{ name: string }>;
    if (!containers.some((c) => c.name === 'sidecar')) containers.push({ name: 'sidecar' });
    return pod;
  },
};
