// The ceiling for this stack: a bare Node HTTPS server that reads and parses the same
// AdmissionReview and answers a canned response of the same size. No routing, no logging.
// Usage: node bench/baseline-server.mjs CERT KEY RESPONSE_FILE  (prints {"port":N} on stdout)
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';

const [certFile, keyFile, responseFile] = process.argv.slice(2);
const canned = readFileSync(responseFile);
const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'] }, (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const review = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    if (typeof review?.request?.uid !== 'string') res.statusCode = 400;
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.end(canned);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${JSON.stringify({ port: server.address().port })}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
