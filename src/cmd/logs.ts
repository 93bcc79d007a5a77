// `otelarmor logs`: print alerts/logs from a KubeArmor-compatible feeder.LogService (an otelarmor
// agent, a KubeArmor agent or kubearmor-relay) the way `karmor logs` does.
import { parseArgs } from 'node:util';
import type * as grpc from '@grpc/grpc-js';
import { healthCheck, newLogServiceClient, wantsAlerts, wantsLogs, LOG_FILTER_VALUES } from '../grpc/client';
import { karmorJson, karmorMap, karmorText } from '../grpc/karmor-json';
import type { PbAlert } from '../grpc/proto';
import { EXIT } from './exit-codes';

export const USAGE = `usage: otelarmor logs [--grpc HOST:PORT] [--filter all|policy|system] [--json | -o json|text]
                      [--namespace RE] [--log-type RE] [--operation RE] [--container RE] [--pod RE]
                      [--source RE] [--resource RE] [--limit N] [--tls-ca FILE [--tls-cert FILE --tls-key FILE]]

Like \`karmor logs\`: HealthCheck, then WatchAlerts (filter all|policy) and/or WatchLogs (all|system).
  --grpc      endpoint (default: $KUBEARMOR_SERVICE, else 127.0.0.1:32767)
  --filter    policy (default: alerts) | system (logs) | all
  --json      one JSON object per line, karmor's --json dialect (Go encoding/json of the message)
  regex filters (client side, unanchored) apply to NamespaceName, Type, Operation, ContainerName,
  PodName, Source, Resource; events without the field do not match.
  --limit N   exit after printing N events (0 = no limit)
`;

const REGEX_FLAGS: Record<string, string> = {
  namespace: 'NamespaceName',
  'log-type': 'Type',
  operation: 'Operation',
  container: 'ContainerName',
  pod: 'PodName',
  source: 'Source',
  resource: 'Resource',
};

export async function main(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      options: {
        grpc: { type: 'string' },
        filter: { type: 'string' },
        json: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        limit: { type: 'string' },
        'tls-ca': { type: 'string' },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
        ...Object.fromEntries(Object.keys(REGEX_FLAGS).map((k) => [k, { type: 'string' as const }])),
      },
    }));
  } catch (e) {
    process.stderr.write(`otelarmor logs: ${(e as Error).message}\n${USAGE}`);
    return EXIT.USAGE;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return EXIT.OK;
  }
  const str = (k: string): string | undefined => values[k] as string | undefined;
  const target = str('grpc') || process.env.KUBEARMOR_SERVICE || '127.0.0.1:32767';
  const filter = str('filter') ?? 'policy';
  if (!(LOG_FILTER_VALUES as readonly string[]).includes(filter)) {
    process.stderr.write(`otelarmor logs: --filter=${JSON.stringify(filter)}: expected all, policy or system\n`);
    return EXIT.USAGE;
  }
  const output = values.json ? 'json' : (str('output') ?? 'text');
  if (output !== 'json' && output !== 'text') {
    process.stderr.write(`otelarmor logs: -o=${JSON.stringify(output)}: expected json or text\n`);
    return EXIT.USAGE;
  }
  const limit = Number(str('limit') ?? '0');
  if (!Number.isInteger(limit) || limit < 0) {
    process.stderr.write(`otelarmor logs: --limit=${JSON.stringify(str('limit'))}: expected an integer >= 0\n`);
    return EXIT.USAGE;
  }
  const regexes: [string, RegExp][] = [];
  for (const [flag, field] of Object.entries(REGEX_FLAGS)) {
    const re = str(flag);
    if (re === undefined || re === '') continue;
    try {
      regexes.push([field, new RegExp(re)]);
    } catch (e) {
      process.stderr.write(`otelarmor logs: --${flag}=${JSON.stringify(re)}: ${(e as Error).message}\n`);
      return EXIT.USAGE;
    }
  }
  if (str('tls-cert') && !str('tls-ca')) {
    process.stderr.write('otelarmor logs: --tls-cert needs --tls-ca\n');
    return EXIT.USAGE;
  }

  let client;
  try {
    const ca = str('tls-ca');
    client = newLogServiceClient(target, ca ? { ca, cert: str('tls-cert'), key: str('tls-key') } : undefined);
    await healthCheck(client);
  } catch (e) {
    process.stderr.write(`otelarmor logs: ${target}: ${(e as Error).message}\n`);
    client?.close();
    return EXIT.FAILURE;
  }

  const streams: [grpc.ClientReadableStream<unknown>, 'Alert' | 'Log'][] = [];
  if (wantsAlerts(filter)) streams.push([client.WatchAlerts({ Filter: filter }), 'Alert']);
  if (wantsLogs(filter)) streams.push([client.WatchLogs({ Filter: filter }), 'Log']);

  let printed = 0;
  let failed = false;
  const code = await new Promise<number>((resolve) => {
    let open = streams.length;
    const finish = (c: number) => {
      for (const [s] of streams) s.cancel();
      resolve(c);
    };
    const onSignal = () => finish(EXIT.OK);
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    for (const [s, kind] of streams) {
      let done = false;
      const streamDone = (c: number) => {
        if (done) return;
        done = true;
        if (--open === 0) finish(c);
      };
      s.on('data', (m: PbAlert) => {
        if (limit > 0 && printed >= limit) return;
        if (regexes.length > 0) {
          const res = karmorMap(kind, m);
          for (const [field, re] of regexes) {
            const v = res[field];
            if (typeof v !== 'string' || !re.test(v)) return;
          }
        }
        process.stdout.write(output === 'json' ? `${karmorJson(kind, m)}\n` : karmorText(kind, m));
        printed++;
        if (limit > 0 && printed >= limit) finish(EXIT.OK);
      });
      s.on('error', (err: grpc.ServiceError) => {
        if (err.code === 1 /* CANCELLED: by us */) return;
        failed = true;
        process.stderr.write(`otelarmor logs: ${kind} stream: ${err.details || err.message}\n`);
        streamDone(EXIT.FAILURE);
      });
      s.on('end', () => streamDone(failed ? EXIT.FAILURE : EXIT.OK));
    }
    if (open === 0) finish(EXIT.OK);
  });
  client.close();
  return code;
}
