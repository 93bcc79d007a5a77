// Renders time series as a PNG line chart (SVG drawn here, rasterised by resvg) for docs/.
import { Resvg } from '@resvg/resvg-js';

export interface Series { name: string; points: [number, number][] }
export interface ChartPanel { title: string; unit: string; series: Series[] }

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${(v / 1e9).toFixed(1)}G`;
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a > 0 && a < 0.01) return v.toExponential(1);
  return Number(v.toFixed(2)).toString();
}

function panelSvg(p: ChartPanel, x0: number, y0: number, w: number, h: number): string {
  const pad = { l: 64, r: 12, t: 28, b: 40 };
  const pts = p.series.flatMap((s) => s.points);
  const tMin = Math.min(...pts.map((q) => q[0]));
  const tMax = Math.max(...pts.map((q) => q[0]), tMin + 1);
  const vMax = Math.max(...pts.map((q) => q[1]), 1e-9) * 1.1;
  const X = (t: number) => x0 + pad.l + ((t - tMin) / (tMax - tMin)) * (w - pad.l - pad.r);
  const Y = (v: number) => y0 + h - pad.b - (v / vMax) * (h - pad.t - pad.b);
  const out: string[] = [
    `<rect x="${x0}" y="${y0}" width="${w}" height="${h}" fill="#fff" stroke="#ccc"/>`,
    `<text x="${x0 + 8}" y="${y0 + 18}" font-size="14" font-weight="bold">${esc(p.title)} (${esc(p.unit)})</text>`,
  ];
  for (let i = 0; i <= 4; i++) {
    const v = (vMax * i) / 4;
    out.push(`<line x1="${X(tMin)}" x2="${X(tMax)}" y1="${Y(v)}" y2="${Y(v)}" stroke="#eee"/>`);
    out.push(`<text x="${x0 + pad.l - 6}" y="${Y(v) + 4}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
  }
  out.push(`<text x="${X(tMin)}" y="${y0 + h - 22}" font-size="11">0 s</text>`);
  out.push(`<text x="${X(tMax)}" y="${y0 + h - 22}" font-size="11" text-anchor="end">${Math.round(tMax - tMin)} s</text>`);
  p.series.forEach((s, i) => {
    const c = COLORS[i % COLORS.length]!;
    if (s.points.length > 0) out.push(`<polyline fill="none" stroke="${c}" stroke-width="2" points="${s.points.map(([t, v]) => `${X(t).toFixed(1)},${Y(v).toFixed(1)}`).join(' ')}"/>`);
    out.push(`<text x="${x0 + pad.l + 150 * i}" y="${y0 + h - 6}" font-size="11" fill="${c}">${esc(s.name)}</text>`);
  });
  return out.join('\n');
}

/** Lays panels out two per row and returns PNG bytes. */
export function renderPng(title: string, panels: ChartPanel[]): Buffer {
  const pw = 560, ph = 260, cols = 2;
  const rows = Math.ceil(panels.length / cols);
  const W = pw * cols + 30, H = ph * rows + 50;
  const body = panels.map((p, i) => panelSvg(p, 10 + (i % cols) * (pw + 10), 40 + Math.floor(i / cols) * (ph + 10), pw, ph));
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="DejaVu Sans">
<rect width="100%" height="100%" fill="#f7f7f7"/><text x="10" y="26" font-size="18" font-weight="bold">${esc(title)}</text>
${body.join('\n')}</svg>`;
  return Buffer.from(new Resvg(svg, { font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans' } }).render().asPng());
}
