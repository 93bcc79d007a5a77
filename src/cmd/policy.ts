// `otelarmor policy validate FILE|DIR...` and `otelarmor policy test --policies DIR --events FILE.jsonl [--json]`.
import { defaultConfig } from '../config';
import { AgentMetrics } from '../metrics/metrics';
import { toKarmorJson } from '../output/karmor-json';
import { PolicyEngine } from '../policy/engine';
import { loadPolicyPaths } from '../policy/load';
import { readRecordedEvents } from '../policy/replay';
import { PolicyStore } from '../policy/store';
import { formatPolicyError } from '../policy/types';
import { EXIT } from './exit-codes';

const USAGE = `usage: otelarmor policy validate FILE|DIR...
       otelarmor policy test --policies FILE|DIR [--policies ...] --events FILE.jsonl [--json] [--host NAME]
`;

export async function main(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'validate') return validate(rest);
  if (sub === 'test') return test(rest);
  process.stderr.write(sub ? `otelarmor policy: unknown subcommand "${sub}"\n${USAGE}` : USAGE);
  return EXIT.USAGE;
}

function validate(args: string[]): number {
  const paths = args.filter((a) => a !== '--');
  if (paths.length === 0 || paths.some((a) => a.startsWith('-'))) {
    process.stderr.write(USAGE);
    return EXIT.USAGE;
  }
  const r = loadPolicyPaths(paths);
  for (const e of r.errors) process.stderr.write(`${formatPolicyError(e)}\n`);
  if (r.errors.length) {
    process.stderr.write(`${r.errors.length} error(s); ${r.policies.length} valid polic${r.policies.length === 1 ? 'y' : 'ies'} in ${r.files.length} file(s)\n`);
    return EXIT.INVALID_INPUT;
  }
  process.stdout.write(`${r.policies.length} valid polic${r.policies.length === 1 ? 'y' : 'ies'} in ${r.files.length} file(s)\n`);
  return EXIT.OK;
}

function test(args: string[]): number {
  const policies: string[] = [];
  let events: string | undefined;
  let json = false;
  let host: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const val = () => {
      const v = args[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    try {
      if (a === '--policies') policies.push(val());
      else if (a === '--events') events = val();
      else if (a === '--host') host = val();
      else if (a === '--json') json = true;
      else { process.stderr.write(`otelarmor policy test: unknown flag "${a}"\n${USAGE}`); return EXIT.USAGE; }
    } catch (e) {
      process.stderr.write(`otelarmor policy test: ${(e as Error).message}\n${USAGE}`);
      return EXIT.USAGE;
    }
  }
  if (!policies.length || !events) {
    process.stderr.write(USAGE);
    return EXIT.USAGE;
  }
  const store = new PolicyStore();
  const rep = store.load(policies);
  if (rep.errors.length) {
    for (const e of rep.errors) process.stderr.write(`${e}\n`);
    return EXIT.INVALID_INPUT;
  }
  let rec;
  try {
    rec = readRecordedEvents(events);
  } catch (e) {
    process.stderr.write(`otelarmor policy test: ${events}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return EXIT.INVALID_INPUT;
  }
  if (rec.errors.length) {
    for (const e of rec.errors) process.stderr.write(`${e}\n`);
    return EXIT.INVALID_INPUT;
  }
  const hostName = host ?? rec.events.find((e) => !e.ka.ContainerID)?.ka.HostName ?? rec.events[0]?.ka.HostName ?? '';
  const engine = new PolicyEngine({
    store, config: { ...defaultConfig(), alertThrottling: false }, metrics: new AgentMetrics(), hostName,
    hostLabels: { 'kubernetes.io/hostname': hostName }, enforcerCanBlock: true, lsmActive: false,
  });
  const out = engine.process(rec.events).filter((e) => e.ka.Type === 'MatchedPolicy' || e.ka.Type === 'MatchedHostPolicy');
  for (const a of out) {
    if (json) process.stdout.write(`${toKarmorJson(a.ka)}\n`);
    else {
      const k = a.ka;
      const where = k.ContainerID ? `${k.NamespaceName ?? ''}/${k.PodName ?? ''}/${k.ContainerName ?? ''}` : `host ${k.HostName}`;
      process.stdout.write(`${k.Type} ${k.PolicyName} severity=${k.Severity ?? ''} action=${k.Action} ${k.Operation} ${k.Resource ?? ''} process=${k.ProcessName ?? ''} result=${k.Result} (${where})\n`);
    }
  }
  if (!json) process.stderr.write(`${out.length} alert(s) from ${rec.events.length} event(s)\n`);
  return EXIT.OK;
}
