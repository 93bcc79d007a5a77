// The Rego input document, version 1 (docs/rego.md "Input document"):
//   {"version": 1, "events": [<event>, ...]}
// where <event> is the KubeArmor event with its exact field names (AgentEvent.ka) plus
// "extras" (EventExtras, src/events/types.ts). Rules return indexes into `events`.
import type { AgentEvent } from '../events/types';
import { INPUT_VERSION } from './meta';

const HEAD = `{"version":${INPUT_VERSION},"events":[`;
const TAIL = ']}';

/** JSON of one input event: ka's members followed by "extras". Throws only on unserialisable values. */
export function eventJson(e: AgentEvent): string {
  const ka = JSON.stringify(e.ka);
  const extras = JSON.stringify(e.extras);
  // ka is a non-empty object: splice "extras" in before its closing brace.
  return `${ka.slice(0, -1)},"extras":${extras}}`;
}

/** The input document for pre-serialised events, as JSON text. */
export function inputJson(parts: readonly string[]): string {
  return HEAD + parts.join(',') + TAIL;
}

/** Plain-object form of the same document (tests, `rules eval --explain`). */
export function inputDocument(events: readonly AgentEvent[]): { version: number; events: unknown[] } {
  return JSON.parse(inputJson(events.map(eventJson))) as { version: number; events: unknown[] };
}

const encoder = new TextEncoder();

/**
 * The document as a standalone ArrayBuffer: opa-wasm copies an ArrayBuffer into Wasm memory as
 * pre-serialised JSON (any other value, a Node Buffer included, is JSON.stringify'd again).
 * TextEncoder.encode returns a view over a fresh ArrayBuffer of exactly the encoded length.
 */
export function inputBuffer(parts: readonly string[]): ArrayBuffer {
  return encoder.encode(inputJson(parts)).buffer as ArrayBuffer;
}
