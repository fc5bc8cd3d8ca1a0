/** SCAFFOLD: `sidecar-injector manifests` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'manifests' is not available yet\n");
  return 2;
}
