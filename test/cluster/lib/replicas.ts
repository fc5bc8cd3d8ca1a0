/**
 * Several replicas of our webhook behind one Service, without kube-proxy: the tools the
 * `serve --manage-ca-bundle` scenario needs.
 * - `SecretVolume`: a directory laid out as the kubelet lays out a mounted Secret (each file a
 *   symlink through `..data` to a versioned directory), updated by swapping `..data` atomically.
 * - `TcpBalancer`: the Service's endpoints, one TCP connection to one replica, round robin; a
 *   replica that refuses connections is skipped (kube-proxy once its endpoint is gone). TLS goes
 *   through untouched, so the apiserver's handshake is with the replica itself.
 * - `TlsProber`: opens a fresh TLS connection again and again, as the apiserver does for a new
 *   connection, trusting only the caBundle published at that moment; records every failure.
 */
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { X509Certificate } from 'node:crypto';

export class SecretVolume {
  private version = 0;
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  path(key: string): string {
    return join(this.dir, key);
  }

  /** Writes a new version of every key and swaps `..data` to it in one rename. */
  update(files: Record<string, string>): void {
    const versioned = `..v${++this.version}`;
    mkdirSync(join(this.dir, versioned));
    for (const [key, content] of Object.entries(files)) writeFileSync(join(this.dir, versioned, key), content);
    const next = join(this.dir, '..data_tmp');
    symlinkSync(versioned, next);
    renameSync(next, join(this.dir, '..data'));
    if (this.version === 1) for (const key of Object.keys(files)) symlinkSync(join('..data', key), join(this.dir, key));
  }
}

/** Copies the certificate files of a `certs --out` directory. */
export function certificateFiles(dir: string): Record<string, string> {
  return Object.fromEntries(['ca.crt', 'tls.crt', 'tls.key'].map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

export class TcpBalancer {
  private server: Server | undefined;
  private next = 0;
  private readonly sockets = new Set<Socket>();
  port = 0;
  /** Connections handed to each backend port. */
  readonly connections = new Map<number, number>();

  constructor(private readonly backends: () => number[]) {}

  async start(): Promise<void> {
    this.server = createServer((client) => this.route(client, 0));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  private route(client: Socket, attempt: number): void {
    const backends = this.backends();
    if (attempt >= backends.length) {
      client.destroy();
      return;
    }
    client.pause();
    const port = backends[this.next++ % backends.length]!;
    const upstream = netConnect(port, '127.0.0.1');
    upstream.once('connect', () => {
      this.connections.set(port, (this.connections.get(port) ?? 0) + 1);
      this.sockets.add(client).add(upstream);
      client.pipe(upstream).pipe(client);
      client.resume();
      const drop = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('close', drop).on('error', drop);
      upstream.on('close', drop).on('error', drop);
    });
    upstream.once('error', () => {
      if (!this.sockets.has(upstream)) this.route(client, attempt + 1);
    });
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

export interface ProbeFailure {
  at: number;
  message: string;
}

export class TlsProber {
  private running = false;
  private loop: Promise<void> | undefined;
  readonly failures: ProbeFailure[] = [];
  /** Handshakes that succeeded, by the common name of the certificate's issuer. */
  readonly issuers = new Map<string, number>();
  handshakes = 0;

  constructor(private readonly options: { port: number; serverName: string; bundle: () => Promise<string>; intervalMs?: number }) {}

  start(): void {
    this.running = true;
    this.loop = (async () => {
      while (this.running) {
        await this.once();
        await new Promise((resolve) => setTimeout(resolve, this.options.intervalMs ?? 100));
      }
    })();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async once(): Promise<void> {
    let ca: string;
    try {
      ca = await this.options.bundle();
    } catch {
      return;
    }
    await new Promise<void>((resolve) => {
      const socket = tlsConnect({ host: '127.0.0.1', port: this.options.port, servername: this.options.serverName, ca, ALPNProtocols: ['http/1.1'], timeout: 5000 }, () => {
        this.handshakes++;
        const issuer = new X509Certificate(socket.getPeerX509Certificate()!.raw).issuer;
        this.issuers.set(issuer, (this.issuers.get(issuer) ?? 0) + 1);
        socket.end();
        resolve();
      });
      socket.on('timeout', () => socket.destroy(new Error('TLS handshake timed out')));
      socket.on('error', (err) => {
        this.failures.push({ at: Date.now(), message: err.message });
        resolve();
      });
    });
  }
}
