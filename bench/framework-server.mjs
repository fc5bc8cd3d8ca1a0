// The framework alone: fastify over the same TLS, parsing the same AdmissionReview with the same
// JSON content-type parser as ours, answering the same canned response. Between the bare ceiling
// and our server, it shows what the framework costs and what the review itself costs.
// Usage: node bench/framework-server.mjs CERT KEY RESPONSE_FILE  (prints {"port":N} on stdout)
import { readFileSync } from 'node:fs';
import Fastify from 'fastify';

const [certFile, keyFile, responseFile] = process.argv.slice(2);
const canned = readFileSync(responseFile);
const app = Fastify({
  bodyLimit: 8 * 1024 * 1024,
  https: { cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] },
});
app.removeAllContentTypeParsers();
app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
  try {
    done(null, JSON.parse(body));
  } catch (err) {
    done(err, undefined);
  }
});
app.post('/inject', async (request, reply) => {
  if (typeof request.body?.request?.uid !== 'string') reply.code(400);
  return reply.type('application/json; charset=utf-8').send(canned);
});
const address = await app.listen({ port: 0, host: '127.0.0.1' });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
