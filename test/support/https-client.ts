/** A minimal HTTPS client for tests: POST/GET with a pinned CA, returning status, headers, body and ALPN. */
import { request, type RequestOptions } from 'node:https';
import type { TLSSocket } from 'node:tls';

export interface HttpsResult {
  status: number;
  body: string;
  alpn: string | false | null;
  tlsVersion: string | null;
}

export function httpsRequest(
  url: string,
  options: { ca: string | Buffer; method?: string; body?: string; headers?: Record<string, string>; servername?: string; maxVersion?: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' },
): Promise<HttpsResult> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      // ALPNProtocols is a TLS option that node:https passes through; its types omit it.
      {
        method: options.method ?? 'GET',
        ca: options.ca,
        headers: options.headers,
        ALPNProtocols: ['http/1.1'],
        agent: false,
        timeout: 5000,
        ...(options.servername === undefined ? {} : { servername: options.servername }),
        ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
        ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
      } as RequestOptions,
      (res) => {
        const socket = res.socket as TLSSocket;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), alpn: socket.alpnProtocol, tlsVersion: socket.getProtocol() }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('request timed out')));
    req.on('error', reject);
    req.end(options.body);
  });
}
