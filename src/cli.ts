#!/usr/bin/env node
/**
 * The one entry point: `sidecar-injector <command> [flags]`. Each command lives in `src/cli/`
 * and is loaded only when it runs, so `kube-inject` never pays for the HTTP stack.
 */
import { isInjectorError } from './errors.js';

interface CommandModule {
  run(argv: string[]): Promise<number>;
}

const COMMANDS: Record<string, { summary: string; load: () => Promise<CommandModule> }> = {
  serve: { summary: 'serve the admission webhook over HTTPS', load: () => import('./cli/serve.js') },
  'kube-inject': { summary: 'inject sidecars into manifests offline', load: () => import('./cli/kube-inject.js') },
  check: { summary: 'explain whether a pod would be injected and why', load: () => import('./cli/check.js') },
  certs: { summary: 'generate a CA and a serving certificate', load: () => import('./cli/certs.js') },
  register: { summary: 'create or update the MutatingWebhookConfiguration', load: () => import('./cli/register.js') },
  label: { summary: 'enable or disable injection for a namespace', load: () => import('./cli/label.js') },
  manifests: { summary: 'print the installation manifests as YAML', load: () => import('./cli/manifests.js') },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((name) => name.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return ['usage: sidecar-injector <command> [flags]', '', 'commands:', ...lines, '', "run 'sidecar-injector <command> --help' for a command's flags"].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage() + '\n');
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    process.stderr.write(`unknown command '${name}'\n\n${usage()}\n`);
    return 2;
  }
  const mod = await command.load();
  return mod.run(rest);
}

/** Exits once stdout and stderr are flushed: kept-alive sockets (Kubernetes clients) must not keep a finished command running. */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    const code = (err as NodeJS.ErrnoException | undefined)?.code ?? '';
    if (code.startsWith('ERR_PARSE_ARGS')) {
      // node:util parseArgs: an unknown flag or a missing value.
      process.stderr.write(`error [USAGE]: ${(err as Error).message}\nrun 'sidecar-injector ${process.argv[2] ?? ''} --help' for the flags\n`);
      exit(2);
      return;
    }
    const message = isInjectorError(err) ? `error [${err.code}]: ${err.message}` : `error: ${err instanceof Error ? err.stack ?? err.message : String(err)}`;
    process.stderr.write(message + '\n');
    exit(isInjectorError(err) && err.code === 'USAGE' ? 2 : 1);
  },
);
