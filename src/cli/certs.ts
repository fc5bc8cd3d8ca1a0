/** SCAFFOLD: `sidecar-injector certs` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'certs' is not available yet\n");
  return 2;
}
