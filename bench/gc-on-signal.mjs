// Preloaded into the server of the memory run (node --expose-gc --import ./bench/gc-on-signal.mjs):
// on SIGUSR2 it collects all garbage and writes process.memoryUsage() to $GC_REPORT_FILE, so the
// benchmark compares what stays alive rather than when the collector happened to run.
import { writeFileSync } from 'node:fs';

const file = process.env.GC_REPORT_FILE;
if (typeof globalThis.gc !== 'function' || !file) throw new Error('gc-on-signal needs --expose-gc and GC_REPORT_FILE');
process.on('SIGUSR2', () => {
  globalThis.gc();
  writeFileSync(file, JSON.stringify(process.memoryUsage()));
});
