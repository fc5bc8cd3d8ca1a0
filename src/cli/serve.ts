/** SCAFFOLD: `sidecar-injector serve` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'serve' is not available yet\n");
  return 2;
}
