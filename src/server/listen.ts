/**
 * Serves the application over HTTPS as the apiserver expects it: TLS 1.2 or newer, ALPN
 * http/1.1 (the apiserver forces HTTP/1.1 for webhooks).
 */
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Server as TlsServer } from 'node:tls';
import { buildApp, type AppDeps } from './app.js';

export interface ServerOptions extends Omit<AppDeps, 'https'> {
  host: string;
  /** 0 picks a free port; `RunningServer.port` tells which. */
  port: number;
  tls: { key: string | Buffer; cert: string | Buffer };
}

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  url: string;
  /** Stops accepting connections and resolves once in-flight requests are answered. */
  close(): Promise<void>;
  /** Closes kept-alive connections that carry no request now. */
  closeIdleConnections(): void;
  /** Swaps the serving certificate for new connections; open connections keep theirs. */
  setSecureContext(tls: { key: string | Buffer; cert: string | Buffer }): void;
}

/** Builds the app and listens; resolves once the socket accepts connections. */
export async function startServer(options: ServerOptions): Promise<RunningServer> {
  const { host, port, tls, ...deps } = options;
  const app = buildApp({
    ...deps,
    https: { key: tls.key, cert: tls.cert, minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] },
  });
  await app.listen({ host, port });
  const address = app.server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    app,
    port: address.port,
    url: `https://${urlHost}:${address.port}`,
    close: () => app.close(),
    closeIdleConnections: () => (app.server as unknown as { closeIdleConnections(): void }).closeIdleConnections(),
    setSecureContext: (next) => (app.server as unknown as TlsServer).setSecureContext({ key: next.key, cert: next.cert, minVersion: 'TLSv1.2' }),
  };
}
