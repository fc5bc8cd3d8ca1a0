/**
 * `serve --manage-ca-bundle` with two replicas against the real apiserver: both behind one
 * Service (a TCP balancer stands in for kube-proxy), their certificates in Secret-like volumes,
 * the Lease deciding which one writes. One holder writes the caBundle; an edit of it is repaired;
 * a CA change (new CA and serving certificate on disk, one replica after the other) goes by while
 * pods are created without pause, with no failed creation and no moment at which a new
 * connection from the apiserver would not trust a replica; when the holder dies, the other one
 * takes over.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { CLI, httpsGetStatus, runCli } from './lib/injector.js';
import { freePort, ManagedProcess, waitFor } from './lib/process.js';
import { certificateFiles, SecretVolume, TcpBalancer, TlsProber } from './lib/replicas.js';
import { connectSuite, type Suite } from './support.js';

const CONFIGURATIONS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';
const LEASE_SECONDS = 6;

interface Replica {
  name: string;
  port: number;
  volume: SecretVolume;
  process: ManagedProcess;
  /** Ready, hence one of the Service's endpoints. */
  ready: boolean;
}

/** The log lines of a replica that match `msg` (pino JSON). */
function logged(replica: Replica, msg: string): any[] {
  return replica.process
    .logTail(100_000)
    .split('\n')
    .filter((line) => line.startsWith('{') && line.endsWith('}'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === msg);
}

describe('serve --manage-ca-bundle, two replicas, on the real apiserver', () => {
  let cluster: Suite;
  const run = randomBytes(3).toString('hex');
  const configuration = `ca-bundle-${run}`;
  const lease = `${configuration}-ca-bundle`;
  let namespace: string;
  let pods: string;
  let dir: string;
  const replicas = new Map<string, Replica>();
  let balancer: TcpBalancer;

  const published = async (): Promise<string> => {
    const res = await cluster.api('GET', `${CONFIGURATIONS}/${configuration}`);
    const bundle = res.body.webhooks?.[0]?.clientConfig?.caBundle;
    return bundle === undefined ? '' : Buffer.from(bundle, 'base64').toString();
  };
  const holder = async (): Promise<string | undefined> => (await cluster.api('GET', `/apis/coordination.k8s.io/v1/namespaces/${namespace}/leases/${lease}`)).body.spec?.holderIdentity;
  const newCertificates = async (name: string) => {
    const out = join(dir, name);
    await runCli(['certs', '--out', out, '--service', 'injector', '--namespace', namespace, '--san', 'localhost', '--san', '127.0.0.1']);
    return certificateFiles(out);
  };
  const createPod = async (): Promise<{ ok: boolean; message?: string; injected?: boolean }> => {
    const res = await cluster.api('POST', `/api/v1/namespaces/${pods}/pods`, { apiVersion: 'v1', kind: 'Pod', metadata: { generateName: 'web-' }, spec: { containers: [{ name: 'web', image: 'nginx:1.27' }] } });
    if (res.status !== 201) return { ok: false, message: `${res.status} ${res.body?.message}` };
    return { ok: true, injected: res.body.spec.containers.some((c: any) => c.name === 'istio-proxy') };
  };
  const startReplica = async (name: string, files: Record<string, string>) => {
    const volume = new SecretVolume(join(dir, name));
    volume.update(files);
    const port = await freePort();
    const process_ = new ManagedProcess(`replica ${name}`, process.execPath, [
      CLI, 'serve',
      '--host', '127.0.0.1',
      '--port', String(port),
      '--tls-cert-file', volume.path('tls.crt'),
      '--tls-key-file', volume.path('tls.key'),
      '--cert-poll-seconds', '1',
      '--manage-ca-bundle',
      '--webhook-config-name', configuration,
      '--lease-namespace', namespace,
      '--lease-duration-seconds', String(LEASE_SECONDS),
      '--kubeconfig', cluster.kubeconfig,
      '--monitoring-port', '0',
      '--shutdown-delay-seconds', '0',
    ], { logFile: join(dir, `${name}.log`), env: { ...process.env, POD_NAME: name } });
    const replica: Replica = { name, port, volume, process: process_, ready: false };
    replicas.set(name, replica);
    // Only ready pods are a Service's endpoints.
    await waitFor(`${name} /readyz`, 60_000, async () => {
      if (process_.exit !== undefined) throw new Error(`${name} stopped (${process_.exit}):\n${process_.logTail()}`);
      return (await httpsGetStatus(`https://127.0.0.1:${port}/readyz`, files['ca.crt']!)) === 200 ? true : undefined;
    });
    replica.ready = true;
  };

  before(async () => {
    cluster = await connectSuite();
    dir = join(cluster.dir, `ca-bundle-${run}`);
    mkdirSync(dir, { recursive: true });
    namespace = await cluster.namespace('ca-bundle');
    pods = await cluster.namespace('ca-bundle-pods', { 'sidecar-injector.test/ca-bundle': run });
    balancer = new TcpBalancer(() => [...replicas.values()].filter((r) => r.ready && r.process.exit === undefined).map((r) => r.port));
    await balancer.start();
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'injector', namespace }, spec: { type: 'ExternalName', externalName: 'localhost' } }) });
    // Registered without a caBundle: filling it in is the replicas' job.
    const webhook = parse(await runCli(['register', '--print', '--name', configuration, '--namespace', namespace, '--service', 'injector', '--port', String(balancer.port)]));
    webhook.webhooks[0].namespaceSelector.matchLabels = { 'sidecar-injector.test/ca-bundle': run };
    const res = await cluster.api('POST', CONFIGURATIONS, webhook);
    assert.equal(res.status, 201, res.body?.message);
    const first = await newCertificates('ca-1');
    await Promise.all(['replica-a', 'replica-b'].map((name) => startReplica(name, first)));
  });

  after(async () => {
    await cluster.api('DELETE', `${CONFIGURATIONS}/${configuration}`);
    await Promise.all([...replicas.values()].map((r) => r.process.stop()));
    await balancer?.stop();
  });

  it('one replica holds the Lease and writes the caBundle; pods are injected through both', async () => {
    const ca1 = certificateFiles(join(dir, 'ca-1'))['ca.crt']!.trim();
    await waitFor('the caBundle', 30_000, async () => ((await published()).trim() === ca1 ? true : undefined));
    const leader = await holder();
    assert.ok(leader === 'replica-a' || leader === 'replica-b', `Lease holder ${leader}`);
    const follower = leader === 'replica-a' ? 'replica-b' : 'replica-a';
    assert.equal(logged(replicas.get(leader)!, 'caBundle written').length, 1);
    assert.equal(logged(replicas.get(follower)!, 'caBundle written').length, 0);

    const results = await Promise.all(Array.from({ length: 6 }, () => createPod()));
    assert.deepEqual(results, Array(6).fill({ ok: true, injected: true }));
    for (const replica of replicas.values()) assert.ok(balancer.connections.get(replica.port)! > 0, `${replica.name} took connections`);
  });

  it('repairs an edit of the caBundle at once, through the Lease holder', async () => {
    const before = await published();
    const leader = (await holder())!;
    const writes = logged(replicas.get(leader)!, 'caBundle written').length;
    await cluster.kubectl(['patch', 'mutatingwebhookconfiguration', configuration, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from(cluster.caCert).toString('base64') }])]);
    const started = Date.now();
    await waitFor('the repair', 10_000, async () => ((await published()) === before ? true : undefined), 100);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 5, `repaired after ${seconds} s`);
    assert.equal(await holder(), leader);
    assert.equal(logged(replicas.get(leader)!, 'caBundle written').length, writes + 1);
    for (const r of replicas.values()) if (r.name !== leader) assert.equal(logged(r, 'caBundle written').length, 0);
  });

  it('goes through a CA change with pods created all along: no failed creation, every new connection trusted', async (t) => {
    const ca1 = certificateFiles(join(dir, 'ca-1'))['ca.crt']!.trim();
    const second = await newCertificates('ca-2');
    const ca2 = second['ca.crt']!.trim();
    let bundle = await published();
    const prober = new TlsProber({ port: balancer.port, serverName: `injector.${namespace}.svc`, bundle: async () => bundle });
    const refresh = setInterval(() => void published().then((b) => (bundle = b)), 100);
    prober.start();
    const outcomes: Array<{ ok: boolean; message?: string; injected?: boolean }> = [];
    let creating = true;
    const creators = Array.from({ length: 2 }, async () => {
      while (creating) {
        outcomes.push(await createPod());
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, 2000));
      // The Secret reaches one replica's volume, then the other's, as kubelets sync at their pace.
      replicas.get('replica-a')!.volume.update(second);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      replicas.get('replica-b')!.volume.update(second);
      await waitFor('both replicas serving the new certificate', 30_000, async () => ([...replicas.values()].every((r) => logged(r, 'serving certificate in service: the caBundle trusts it').length > 0) ? true : undefined), 250).catch((err: Error) => {
        const events = (r: Replica) => r.process.logTail(100_000).split('\n').filter((line) => !line.includes('"msg":"review"')).slice(-15).join('\n');
        throw new Error(`${err.message}\n${[...replicas.values()].map((r) => `${r.name}:\n${events(r)}`).join('\n')}`);
      });
      await new Promise((resolve) => setTimeout(resolve, 3000));
    } finally {
      creating = false;
      await Promise.all(creators);
      await prober.stop();
      clearInterval(refresh);
    }
    const final = await published();
    const failed = outcomes.filter((o) => !o.ok);
    t.diagnostic(`${outcomes.length} pods created during the change, ${failed.length} failed; ${prober.handshakes} fresh handshakes (${[...prober.issuers].map(([issuer, n]) => `${n} from ${issuer.replace(/\n/g, ' ')}`).join(', ')}), ${prober.failures.length} failed`);
    assert.deepEqual(failed, []);
    assert.deepEqual(prober.failures, []);
    assert.ok(final.includes(ca2) && final.includes(ca1), 'the new and the old CA in the caBundle');
    assert.ok(outcomes.length > 10, `only ${outcomes.length} pods created`);
    assert.ok(outcomes.every((o) => o.injected));
    for (const r of replicas.values()) {
      assert.equal(logged(r, "new serving certificate waiting: served once the webhook configuration's caBundle has trusted its CA for settleMs").length, 1, `${r.name} waited for the caBundle`);
    }
    assert.ok(prober.handshakes > 20, `${prober.handshakes} handshakes`);
  });

  it('lets the other replica take over when the holder dies, and it repairs the caBundle', async (t) => {
    const leader = (await holder())!;
    const follower = leader === 'replica-a' ? 'replica-b' : 'replica-a';
    const expected = await published();
    const stopped = Date.now();
    // Killed at once (no grace period): a crash, nothing handed over.
    await replicas.get(leader)!.process.stop(0);
    await waitFor(`${follower} holding the Lease`, (LEASE_SECONDS * 2 + 5) * 1000, async () => ((await holder()) === follower ? true : undefined), 250);
    const seconds = (Date.now() - stopped) / 1000;
    await cluster.kubectl(['patch', 'mutatingwebhookconfiguration', configuration, '--type=json', '-p', JSON.stringify([{ op: 'replace', path: '/webhooks/0/clientConfig/caBundle', value: Buffer.from(cluster.caCert).toString('base64') }])]);
    await waitFor('the repair by the new holder', 10_000, async () => ((await published()) === expected ? true : undefined), 100);
    assert.ok(logged(replicas.get(follower)!, 'caBundle written').length > 0);
    assert.deepEqual(await createPod(), { ok: true, injected: true });
    t.diagnostic(`${follower} held the Lease ${seconds.toFixed(1)} s after ${leader} was killed (Lease duration ${LEASE_SECONDS} s)`);
    assert.ok(seconds <= LEASE_SECONDS * 2 + 1, `took over after ${seconds} s`);
  });
});
