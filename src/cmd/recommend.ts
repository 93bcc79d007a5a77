// `otelarmor recommend --events FILE.jsonl [--namespace NS] [--labels k=v,...] [--name NAME] [-o FILE]`:
// print an allow-list KubeArmorPolicy (YAML) covering the observed process, file and network activity.
import { writeFileSync } from 'node:fs';
import { recommendYaml } from '../policy/recommend';
import { readRecordedEvents } from '../policy/replay';
import { parseLabels } from '../policy/rules';
import { EXIT } from './exit-codes';

const USAGE = 'usage: otelarmor recommend --events FILE.jsonl [--namespace NS] [--labels k=v,...] [--name NAME] [-o FILE]\n';

export async function main(argv: string[]): Promise<number> {
  let events: string | undefined;
  let namespace: string | undefined;
  let labels: Record<string, string> | undefined;
  let name: string | undefined;
  let out: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const v = argv[i + 1];
    if (['--events', '--namespace', '--labels', '--name', '-o', '--output'].includes(a)) {
      if (v === undefined) { process.stderr.write(`otelarmor recommend: ${a} needs a value\n${USAGE}`); return EXIT.USAGE; }
      i++;
      if (a === '--events') events = v;
      else if (a === '--namespace') namespace = v;
      else if (a === '--labels') labels = parseLabels(v);
      else if (a === '--name') name = v;
      else out = v;
    } else if (a === '--help' || a === '-h') { process.stdout.write(USAGE); return EXIT.OK; }
    else { process.stderr.write(`otelarmor recommend: unknown flag "${a}"\n${USAGE}`); return EXIT.USAGE; }
  }
  if (!events) { process.stderr.write(USAGE); return EXIT.USAGE; }
  let rec;
  try {
    rec = readRecordedEvents(events);
  } catch (e) {
    process.stderr.write(`otelarmor recommend: ${events}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}\n`);
    return EXIT.INVALID_INPUT;
  }
  if (rec.errors.length) {
    for (const e of rec.errors) process.stderr.write(`${e}\n`);
    return EXIT.INVALID_INPUT;
  }
  const yaml = recommendYaml(rec.events, { ...(namespace !== undefined ? { namespace } : {}), ...(labels ? { labels } : {}), ...(name ? { name } : {}) });
  if (!yaml) {
    process.stderr.write('otelarmor recommend: no container events match the selection\n');
    return EXIT.INVALID_INPUT;
  }
  if (out) writeFileSync(out, yaml);
  else process.stdout.write(yaml);
  return EXIT.OK;
}
