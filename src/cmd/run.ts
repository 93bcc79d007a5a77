// `otelarmor run`: resolves the configuration, starts the agent, and maps signals:
// SIGHUP → reload policies and rules; SIGTERM/SIGINT → flush and stop; --duration N → stop after N s.
import { EXIT } from './exit-codes';
import { ConfigError, resolveConfig, CONFIG_KEYS } from '../config-load';

const HELP = `usage: otelarmor run [--config FILE] [--output stdout|jsonl:PATH|none] [--duration SECONDS]
                    [--visibility LIST] [--host-visibility LIST] [--cluster NAME] [--policies DIR]...
                    [--rules BUNDLE]... [--otlp-endpoint URL] [--metrics-address HOST:PORT]
                    [--grpc-address HOST:PORT] [--health-grpc-address HOST:PORT] [--enforcer auto|audit]
Every config key is also a flag (--kebab-case), a config-file key (camelCase) and an env
variable (OTELARMOR_UPPER_SNAKE). Keys: ${CONFIG_KEYS.join(', ')}.
`;

export async function main(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) { process.stdout.write(HELP); return EXIT.OK; }
  const io = {
    info: (l: string) => process.stderr.write(`otelarmor: ${l}\n`),
    warn: (l: string) => process.stderr.write(`otelarmor: warning: ${l}\n`),
  };
  let cfg;
  try {
    cfg = resolveConfig(argv, process.env, io.warn);
  } catch (e) {
    if (e instanceof ConfigError) { process.stderr.write(`otelarmor: ${e.message}\n`); return e.source === 'command line' ? EXIT.USAGE : EXIT.INVALID_INPUT; }
    throw e;
  }
  if (process.getuid?.() !== 0) io.warn('not running as root: loading BPF programs needs CAP_BPF, CAP_PERFMON and CAP_SYS_ADMIN');
  const { startAgent } = await import('../agent');
  // Handlers first: a SIGTERM/SIGINT during start-up is kept and acted on once the agent runs (the
  // default action would kill the process with its BPF objects half set up); a SIGHUP then is moot
  // (start-up reads the current files).
  let agent: Awaited<ReturnType<typeof startAgent>> | undefined;
  let pendingStop: string | undefined;
  const stop = (why: string) => {
    if (agent) void agent.shutdown(why);
    else pendingStop ??= why;
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => { if (agent) void agent.reload('SIGHUP'); });
  try {
    agent = await startAgent(cfg, io);
  } catch (e) {
    const err = e as Error & { code?: string; op?: string };
    process.stderr.write(`otelarmor: could not start: ${err.message}${err.op ? ` (${err.op}${err.code ? `: ${err.code}` : ''})` : ''}\n`);
    return ['ConfigError', 'OtlpConfigError', 'RegoLoadError'].includes(err.name) ? EXIT.INVALID_INPUT : err.op ? EXIT.KERNEL : EXIT.FAILURE;
  }
  if (pendingStop) stop(`${pendingStop} during start-up`);
  if (cfg.duration > 0) setTimeout(() => stop(`--duration ${cfg.duration}s elapsed`), cfg.duration * 1000).unref();
  return agent.done;
}
