/** SCAFFOLD: `sidecar-injector label` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'label' is not available yet\n");
  return 2;
}
