// Log severity of an event. Logs (ContainerLog/HostLog) are INFO (9). Alerts map KubeArmor's
// Severity (an integer 1–10 carried as a string) monotonically onto WARN..ERROR3 (13..19); FATAL
// (21+) is never used: it means the emitter itself crashed. severityText is KubeArmor's own
// Severity string when present.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { isAlert, type KubeArmorEvent } from '../events/types';

/** KubeArmor Severity 1..10 → OTel SeverityNumber (index = KubeArmor severity). */
export const ALERT_SEVERITY_TABLE: readonly SeverityNumber[] = [
  SeverityNumber.WARN, // 0: not used (clamped to 1)
  SeverityNumber.WARN, // 1
  SeverityNumber.WARN2, // 2
  SeverityNumber.WARN3, // 3
  SeverityNumber.WARN4, // 4
  SeverityNumber.ERROR, // 5
  SeverityNumber.ERROR, // 6
  SeverityNumber.ERROR2, // 7
  SeverityNumber.ERROR2, // 8
  SeverityNumber.ERROR3, // 9
  SeverityNumber.ERROR3, // 10
];

/** Names some policy authors use instead of numbers (KubeArmor accepts any string). */
const NAMED: Record<string, number> = { low: 2, medium: 4, high: 7, critical: 9 };

const BAND_TEXT: Record<number, string> = {
  9: 'INFO', 13: 'WARN', 14: 'WARN2', 15: 'WARN3', 16: 'WARN4',
  17: 'ERROR', 18: 'ERROR2', 19: 'ERROR3',
};

/** KubeArmor severity string → 1..10; missing/unknown → 1 (the lowest alert band, WARN). */
export function kubeArmorSeverityLevel(severity: string | undefined): number {
  if (severity === undefined) return 1;
  const s = severity.trim();
  if (/^-?\d+$/.test(s)) return Math.min(10, Math.max(1, Number(s)));
  return NAMED[s.toLowerCase()] ?? 1;
}

export interface Severity {
  number: SeverityNumber;
  text: string;
}

const INFO: Severity = { number: SeverityNumber.INFO, text: 'INFO' };

export function severityOf(ka: KubeArmorEvent): Severity {
  if (!isAlert(ka.Type)) return INFO;
  const n = ALERT_SEVERITY_TABLE[kubeArmorSeverityLevel(ka.Severity)] ?? SeverityNumber.WARN;
  return { number: n, text: ka.Severity !== undefined && ka.Severity !== '' ? ka.Severity : BAND_TEXT[n] ?? 'WARN' };
}

/** Markdown table of the mapping, one row per KubeArmor severity plus logs (docs/otlp.md). */
export function severityTableMarkdown(): string {
  const rows = ['| KubeArmor Severity | SeverityNumber | Band |', '|---|---|---|'];
  for (let i = 1; i <= 10; i++) {
    const n = ALERT_SEVERITY_TABLE[i] ?? SeverityNumber.WARN;
    rows.push(`| ${i} | ${n} | ${BAND_TEXT[n]} |`);
  }
  rows.push(`| (logs) | ${INFO.number} | ${INFO.text} |`);
  return rows.join('\n');
}

/** The same mapping as one header row and one value row (README.md). */
export function severityRowTableMarkdown(): string {
  const levels = Array.from({ length: 10 }, (_, k) => k + 1);
  const cells = levels.map((i) => {
    const n = ALERT_SEVERITY_TABLE[i] ?? SeverityNumber.WARN;
    return `${n} ${BAND_TEXT[n]}`;
  });
  return [
    `| KubeArmor Severity | ${levels.join(' | ')} |`,
    `|---|${levels.map(() => '---|').join('')}`,
    `| SeverityNumber | ${cells.join(' | ')} |`,
  ].join('\n');
}
