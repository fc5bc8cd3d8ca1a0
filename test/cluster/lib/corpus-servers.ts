/**
 * One `sidecar-injector serve` per group of corpus cases, each with the group's settings, each
 * registered with a configuration of its own that selects only the namespaces labelled for that
 * group in this run. They share what can be shared to start quickly: one serving certificate
 * (a SAN per Service), and one `kubectl apply` for the Services and configurations. Each
 * configuration is the one `register --print` writes, with the name, Service, port and
 * namespaceSelector of its group: the same webhook shape as the suite's own registration.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import type { ClusterClients } from './control-plane.js';
import { serveValues, type SettingsGroup } from './corpus.js';
import { CLI, httpsGetStatus, runCli } from './injector.js';
import { mapPool } from './pool.js';
import { freePort, ManagedProcess, waitFor } from './process.js';

export interface CorpusServer {
  group: SettingsGroup;
  port: number;
  logFile: string;
  configurationName: string;
  /** The namespace label (key=value) its configuration selects. */
  label: Record<string, string>;
}

export interface CorpusServers {
  servers: Map<string, CorpusServer>;
  /** Deletes the configurations, then stops the servers. */
  stop(): Promise<void>;
}

export async function startCorpusServers(cluster: ClusterClients, groups: SettingsGroup[], options: { run: string; labelKey: string }): Promise<CorpusServers> {
  const namespace = `corpus-injectors-${options.run}`;
  const dir = join(cluster.dir, `corpus-${options.run}`);
  const certs = join(dir, 'certs');
  mkdirSync(dir, { recursive: true });
  const serviceOf = (group: SettingsGroup) => `corpus-${group.id}`;
  await runCli(['certs', '--out', certs, '--service', 'corpus', '--namespace', namespace, ...groups.flatMap((g) => ['--san', `${serviceOf(g)}.${namespace}.svc`]), '--san', 'localhost', '--san', '127.0.0.1']);
  const caCert = readFileSync(join(certs, 'ca.crt'), 'utf8');

  const processes: ManagedProcess[] = [];
  const servers = new Map<string, CorpusServer>();
  const configurationNames = () => [...servers.values()].map((s) => s.configurationName);
  const stop = async () => {
    if (servers.size > 0) await cluster.kubectl(['delete', 'mutatingwebhookconfiguration', '--ignore-not-found', ...configurationNames()]);
    await Promise.all(processes.map((p) => p.stop()));
  };

  try {
    // Started a few at a time: each start costs about a second of CPU, and the machine is small.
    await mapPool(groups, 6, async (group) => {
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
      processes.push(server);
      await waitFor(`serve ${group.id} /readyz`, 60_000, async () => {
        if (server.exit !== undefined) throw new Error(`serve ${group.id} stopped (${server.exit}):\n${server.logTail()}`);
        return (await httpsGetStatus(`https://127.0.0.1:${port}/readyz`, caCert)) === 200 ? true : undefined;
      });
      servers.set(group.id, { group, port, logFile, configurationName: `corpus-${group.id}-${options.run}`, label: { [options.labelKey]: `${group.id}-${options.run}` } });
    });

    const template = parse(await runCli(['register', '--print', '--namespace', namespace, '--ca-file', join(certs, 'ca.crt')]));
    const items: any[] = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } }];
    for (const server of servers.values()) {
      const service = serviceOf(server.group);
      // See ./injector.ts: the apiserver calls an ExternalName Service at <externalName>:<port>.
      items.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: service, namespace }, spec: { type: 'ExternalName', externalName: 'localhost' } });
      const configuration = structuredClone(template);
      configuration.metadata.name = server.configurationName;
      for (const webhook of configuration.webhooks) {
        webhook.clientConfig.service = { ...webhook.clientConfig.service, name: service, port: server.port };
        webhook.namespaceSelector.matchLabels = server.label;
      }
      items.push(configuration);
    }
    await cluster.kubectl(['apply', '-f', '-'], { input: JSON.stringify({ apiVersion: 'v1', kind: 'List', items }) });
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, stop };
}

/** The reviews a server logged (pino JSON lines). */
export function reviewsOf(server: CorpusServer): any[] {
  return readFileSync(server.logFile, 'utf8')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line))
    .filter((entry) => entry.msg === 'review');
}
