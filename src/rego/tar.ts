// Minimal reader for the gzip'd ustar archives `opa build` writes (bundle.tar.gz): regular files
// only, ustar name+prefix and PAX `path` records. Tar format: 512-byte header blocks, sizes in octal
// ASCII, file data padded to 512 bytes, the archive ends with two zero blocks (POSIX.1-2001).
import { gunzipSync } from 'node:zlib';

const BLOCK = 512;

export class TarError extends Error {}

function cstr(b: Buffer, off: number, len: number): string {
  const end = b.indexOf(0, off);
  return b.toString('utf8', off, end < 0 || end > off + len ? off + len : end);
}

function octal(b: Buffer, off: number, len: number, what: string): number {
  const s = cstr(b, off, len).trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarError(`bad ${what} field "${s}" in tar header at offset ${off - (off % BLOCK)}`);
  return parseInt(s, 8);
}

function checksumOk(h: Buffer): boolean {
  const want = octal(h, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === want;
}

/** Regular files of a tar archive by normalised path ("/policy.wasm"). Throws TarError on damage. */
export function readTar(tar: Buffer): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  let off = 0;
  let paxPath: string | undefined;
  let sawEnd = false;
  while (off + BLOCK <= tar.length) {
    const h = tar.subarray(off, off + BLOCK);
    if (h.every((x) => x === 0)) { sawEnd = true; break; }
    if (!checksumOk(h)) throw new TarError(`tar header checksum mismatch at offset ${off}`);
    const size = octal(h, 124, 12, 'size');
    const type = String.fromCharCode(h[156] ?? 0);
    const dataStart = off + BLOCK;
    if (dataStart + size > tar.length) throw new TarError(`tar entry at offset ${off} is truncated (needs ${size} bytes, ${tar.length - dataStart} left)`);
    const data = tar.subarray(dataStart, dataStart + size);
    if (type === 'x') {
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'));
      paxPath = m?.[1];
    } else if (type === '0' || type === '\0') {
      const prefix = h.subarray(257, 263).toString('latin1').startsWith('ustar') ? cstr(h, 345, 155) : '';
      const name = paxPath ?? (prefix ? `${prefix}/${cstr(h, 0, 100)}` : cstr(h, 0, 100));
      files.set(normalise(name), Buffer.from(data));
      paxPath = undefined;
    } else {
      paxPath = undefined;
    }
    off = dataStart + Math.ceil(size / BLOCK) * BLOCK;
  }
  if (!sawEnd && files.size === 0) throw new TarError('not a tar archive (no entries)');
  if (!sawEnd) throw new TarError('tar archive is truncated (no end-of-archive blocks)');
  return files;
}

function normalise(name: string): string {
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  return `/${parts.join('/')}`;
}

/** gunzip + readTar; errors name the reason (gzip or tar level). */
export function readTarGz(gz: Buffer): Map<string, Buffer> {
  let tar: Buffer;
  try {
    tar = gunzipSync(gz);
  } catch (e) {
    throw new TarError(`not a valid gzip stream: ${e instanceof Error ? e.message : String(e)}`);
  }
  return readTar(tar);
}
