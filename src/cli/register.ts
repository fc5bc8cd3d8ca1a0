/** SCAFFOLD: `sidecar-injector register` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'register' is not available yet\n");
  return 2;
}
