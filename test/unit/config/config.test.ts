import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildConfig, defaultConfig, loadConfig } from '../../../src/config/index.js';
import { InjectorError } from '../../../src/errors.js';

describe('configuration', () => {
  it('has Istio defaults without any file, frozen', () => {
    const cfg = defaultConfig();
    assert.equal(cfg.values.global.proxy.statusPort, 15020);
    assert.equal(cfg.mesh.defaultConfig.discoveryAddress, 'istiod.istio-system.svc:15012');
    assert.equal(cfg.injector.policy, 'enabled');
    assert.ok(Object.isFrozen(cfg.values.global.proxy));
  });

  it('merges values maps and replaces lists and scalars', () => {
    const cfg = buildConfig({ values: { global: { hub: 'example.com/istio', imagePullSecrets: ['a'], proxy: { resources: { limits: { cpu: null } } } } } });
    assert.equal(cfg.values.global.hub, 'example.com/istio');
    assert.equal(cfg.values.global.tag, defaultConfig().values.global.tag);
    assert.deepEqual(cfg.values.global.imagePullSecrets, ['a']);
    assert.equal(cfg.values.global.proxy.resources.limits.cpu, null);
    assert.equal(cfg.values.global.proxy.resources.limits.memory, '1024Mi');
  });

  it('merges the mesh defaultConfig field by field and proxyMetadata key by key', () => {
    const cfg = buildConfig({ mesh: { defaultConfig: { drainDuration: '23s', proxyMetadata: { A: '1' } }, trustDomain: 'example.org' } });
    assert.equal(cfg.mesh.defaultConfig.drainDuration, '23s');
    assert.equal(cfg.mesh.defaultConfig.statusPort, 15020);
    assert.deepEqual(cfg.mesh.defaultConfig.proxyMetadata, { A: '1' });
    assert.equal(cfg.mesh.trustDomain, 'example.org');
  });

  it('lists every problem at once', () => {
    assert.throws(
      () => buildConfig({ values: { global: { proxy: { statusPort: 70000 }, imagePullPolicy: 'Sometimes' } }, mesh: { defaultConfig: { interceptionMode: 'MAGIC' } }, injector: { policy: 'maybe', defaultTemplates: ['ghost'] } }),
      (err: unknown) =>
        err instanceof InjectorError &&
        err.code === 'INVALID_CONFIG' &&
        [/statusPort '70000'/, /imagePullPolicy 'Sometimes'/, /interceptionMode 'MAGIC'/, /policy 'maybe'/, /defaultTemplates names 'ghost'/].every((re) => re.test(err.message)),
    );
  });

  it('loads files, or a ConfigMap directory, and names unreadable files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'config-'));
    await writeFile(join(dir, 'values'), JSON.stringify({ global: { hub: 'registry.example/istio' } }));
    await writeFile(join(dir, 'config'), 'policy: disabled\n');
    await writeFile(join(dir, 'mesh'), 'defaultConfig:\n  holdApplicationUntilProxyStarts: true\n');
    const cfg = await loadConfig({ dir });
    assert.equal(cfg.values.global.hub, 'registry.example/istio');
    assert.equal(cfg.injector.policy, 'disabled');
    assert.equal(cfg.mesh.defaultConfig.holdApplicationUntilProxyStarts, true);
    assert.equal(cfg.sources.values, join(dir, 'values'));
    await assert.rejects(loadConfig({ valuesFile: join(dir, 'missing.json') }), /cannot read configuration file .*missing.json: ENOENT/);
    await writeFile(join(dir, 'broken'), 'a: [');
    await assert.rejects(loadConfig({ meshConfigFile: join(dir, 'broken') }), /is not valid YAML or JSON/);
  });
});
