/** SCAFFOLD: `sidecar-injector check` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'check' is not available yet\n");
  return 2;
}
