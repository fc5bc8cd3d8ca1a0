/** SCAFFOLD: `sidecar-injector kube-inject` is being written. */
export async function run(_argv: string[]): Promise<number> {
  process.stderr.write("'kube-inject' is not available yet\n");
  return 2;
}
