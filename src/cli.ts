#!/usr/bin/env node
// `otelarmor <command> ...`: each command lives in src/cmd/<command>.ts and exports
// `main(argv): Promise<number>` (the process exit code). Exit codes: README (Usage) and docs/reliability.md.
import { EXIT } from './cmd/exit-codes';

const COMMANDS: Record<string, { module: string; summary: string }> = {
  run: { module: './cmd/run', summary: 'run the agent on this host (embedded defaults when no flags)' },
  receive: { module: './cmd/receive', summary: 'forward a KubeArmor agent/relay gRPC stream to OTLP' },
  logs: { module: './cmd/logs', summary: 'print alerts/logs from a KubeArmor-compatible gRPC endpoint (like karmor logs)' },
  policy: { module: './cmd/policy', summary: 'policy validate FILE|DIR... | policy test --policies DIR --events FILE.jsonl' },
  recommend: { module: './cmd/recommend', summary: 'propose an allow-list KubeArmorPolicy from recorded events' },
  rules: { module: './cmd/rules', summary: 'rules build DIR -o bundle.tar.gz (compile Rego with opa)' },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([n, c]) => `  ${n.padEnd(10)} ${c.summary}`);
  return `usage: otelarmor <command> [flags]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function cli(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(usage());
    return name ? EXIT.OK : EXIT.USAGE;
  }
  if (name === '--version') {
    process.stdout.write(`${require('../package.json').version}\n`);
    return EXIT.OK;
  }
  const cmd = COMMANDS[name];
  if (!cmd) {
    process.stderr.write(`otelarmor: unknown command "${name}"\n${usage()}`);
    return EXIT.USAGE;
  }
  const mod = require(cmd.module) as { main(argv: string[]): Promise<number> };
  return mod.main(rest);
}

if (require.main === module || process.argv[1]?.endsWith("bin/otelarmor")) {
  cli(process.argv.slice(2)).then(
    (code) => { process.exitCode = code; },
    (err: unknown) => {
      process.stderr.write(`otelarmor: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = EXIT.FAILURE;
    },
  );
}
