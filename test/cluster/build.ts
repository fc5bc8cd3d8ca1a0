/**
 * `npm run cluster:build`: builds the control plane's binaries that are missing from
 * .cache/cluster/<kubernetes-version>/bin/ and says how long it took. With every binary present it
 * does nothing.
 */
import { ALL_BINARIES, BIN_DIR, MissingToolchainError, ensureBinaries, missingBinaries } from './lib/binaries.js';

const missing = missingBinaries();
if (missing.length === 0) {
  console.log(`all binaries present in ${BIN_DIR} (${ALL_BINARIES.join(', ')})`);
} else {
  try {
    const report = await ensureBinaries(ALL_BINARIES, (line) => console.log(line));
    console.log(
      `built ${report.built.join(', ')} into ${BIN_DIR}: modules ${report.downloadSeconds.toFixed(0)} s, compilation ${report.buildSeconds.toFixed(0)} s`,
    );
  } catch (err) {
    console.error(`error: ${err instanceof MissingToolchainError ? err.message : (err as Error).message}`);
    process.exit(1);
  }
}
