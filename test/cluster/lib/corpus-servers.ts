/**
 * One `sidecar-injector serve` per group of corpus cases, each with the group's settings, each
 * registered with a configuration of its own that selects only the namespaces labelled for that
 * group in this run. What can be shared is made once: the serving certificate (a SAN per
 * Service), the Services, and the configuration `register --print` writes, which each group's
 * copy changes only in name, Service, port and namespaceSelector: the same webhook shape as the
 * suite's own registration.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterClients } from './control-plane.js';
import { serveValues, type SettingsGroup } from './corpus.js';
import { CLI, httpsGetStatus, runCli } from './injector.js';
import { freePort, ManagedProcess, waitFor } from './process.js';

export interface CorpusServer {
  group: SettingsGroup;
  port: number;
  logFile: string;
  configurationName: string;
  /** The namespace label (key: value) its configuration selects. */
  label: Record<string, string>;
  /** Deletes the configuration, then stops the server. */
  stop(): Promise<void>;
}

const CONFIGURATIONS = '/apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations';

/** Prepares what the groups share; `start(group)` then runs and registers one group's server. */
export async function prepareCorpusServers(cluster: ClusterClients, groups: SettingsGroup[], options: { run: string; labelKey: string }): Promise<{ start(group: SettingsGroup): Promise<CorpusServer> }> {
  const namespace = `corpus-injectors-${options.run}`;
  const dir = join(cluster.dir, `corpus-${options.run}`);
  const certs = join(dir, 'certs');
  mkdirSync(dir, { recursive: true });
  const serviceOf = (group: SettingsGroup) => `corpus-${group.id}`;
  await runCli(['certs', '--out', certs, '--service', 'corpus', '--namespace', namespace, ...groups.flatMap((g) => ['--san', `${serviceOf(g)}.${namespace}.svc`]), '--san', 'localhost', '--san', '127.0.0.1']);
  const caCert = readFileSync(join(certs, 'ca.crt'), 'utf8');
  const template = parse(await runCli(['register', '--print', '--namespace', namespace, '--ca-file', join(certs, 'ca.crt')]));
  // See ./injector.ts: the apiserver calls an ExternalName Service at <externalName>:<webhook port>.
  const services = groups.map((g) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: serviceOf(g), namespace }, spec: { type: 'ExternalName', externalName: 'localhost' } }));
  await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items: [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }, ...services] }) });

  const start = async (group: SettingsGroup): Promise<CorpusServer> => {
    const groupDir = join(dir, group.id);
    mkdirSync(groupDir, { recursive: true });
    const files = { values: join(groupDir, 'values.json'), mesh: join(groupDir, 'mesh.yaml'), config: join(groupDir, 'config.yaml') };
    writeFileSync(files.values, serveValues(group));
    writeFileSync(files.mesh, group.mesh);
    writeFileSync(files.config, group.config);
    const port = await freePort();
    const logFile = join(groupDir, 'serve.log');
    const server = new ManagedProcess(`sidecar-injector ${group.id}`, process.execPath, [
      CLI, 'serve',
      '--host', '127.0.0.1',
      '--port', String(port),
      '--tls-cert-file', join(certs, 'tls.crt'),
      '--tls-key-file', join(certs, 'tls.key'),
      '--values', files.values,
      '--mesh-config', files.mesh,
      '--inject-config', files.config,
      '--monitoring-port', '0',
      '--shutdown-delay-seconds', '0',
    ], { logFile });
    const configurationName = `corpus-${group.id}-${options.run}`;
    const stop = async () => {
      await cluster.api('DELETE', `${CONFIGURATIONS}/${configurationName}`);
      await server.stop();
    };
    try {
      await waitFor(`serve ${group.id} /readyz`, 60_000, async () => {
        if (server.exit !== undefined) throw new Error(`serve ${group.id} stopped (${server.exit}):\n${server.logTail()}`);
        // Ready means this group's own process listens on the port (its log says so), not just that
        // something on the port answers.
        if (!listensOn(server.logTail(200), port)) return undefined;
        return (await httpsGetStatus(`https://127.0.0.1:${port}/readyz`, caCert)) === 200 ? true : undefined;
      });
      const label = { [options.labelKey]: `${group.id}-${options.run}` };
      const configuration = structuredClone(template);
      configuration.metadata.name = configurationName;
      for (const webhook of configuration.webhooks) {
        webhook.clientConfig.service = { ...webhook.clientConfig.service, name: serviceOf(group), port };
        webhook.namespaceSelector.matchLabels = label;
      }
      const res = await cluster.api('POST', CONFIGURATIONS, configuration);
      if (res.status !== 201) throw new Error(`configuration ${configurationName} refused: ${res.status} ${res.body?.message}`);
      return { group, port, logFile, configurationName, label, stop };
    } catch (err) {
      await stop();
      throw err;
    }
  };
  return { start };
}

/** The reviews a server logged (pino JSON lines). */
export function reviewsOf(server: CorpusServer): any[] {
  return readFileSync(server.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'review');
}

/** Whether a serve log holds its `listening` line for `port`. */
function listensOn(log: string, port: number): boolean {
  return log.split('\n').some((line) => {
    try {
      const entry = JSON.parse(line) as { msg?: unknown; port?: unknown };
      return entry.msg === 'listening' && entry.port === port;
    } catch {
      return false;
    }
  });
}
