/**
 * Which encoding a body's text is in: the Content-Type charset when it names one the
 * decoders know; else a BOM; else UTF-8 when the bytes are valid UTF-8 (plain ASCII is);
 * else a statistical guess (`chardet`) when it is confident; else nothing: `text` is then
 * null rather than a guess dressed up as an answer.
 */
import { isUtf8 } from 'node:buffer';
import { TextDecoder } from 'node:util';
import type chardetModule from 'chardet';
import { onFirstUse } from '../on-first-use.js';

/** The detector, loaded when a body first needs a guess (see on-first-use.ts). */
const chardet = onFirstUse<typeof chardetModule>('chardet');

/** Below this confidence (0–100) a guess is not an answer. */
export const MIN_CONFIDENCE = 50;

export function charsetFromContentType(contentType: string | null | undefined): string | null {
  const m = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]+))/i.exec(contentType ?? '');
  const label = (m?.[1] ?? m?.[2])?.trim().toLowerCase();
  return label ? label : null;
}

// One decoder per label, made when first asked for: a one-shot `decode` keeps no state, so
// they are shared. A label TextDecoder does not know maps to null.
const decoders = new Map<string, TextDecoder | null>();
const FATAL_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The decoder for an encoding label, or null when TextDecoder does not know it. */
export function decoderFor(label: string): TextDecoder | null {
  let decoder = decoders.get(label);
  if (decoder === undefined) {
    try {
      decoder = new TextDecoder(label);
    } catch {
      decoder = null;
    }
    // Labels come from servers: keep the memory of unknown ones from growing without end.
    if (decoder !== null || decoders.size < 256) decoders.set(label, decoder);
  }
  return decoder;
}

export function isKnownEncoding(label: string): boolean {
  return decoderFor(label) !== null;
}

/**
 * The body as text when {@link detectEncoding} would say UTF-8 without a declared charset
 * or a BOM (valid UTF-8), decoded in the same pass that checks it; null otherwise.
 */
export function undeclaredUtf8Text(body: Uint8Array, contentType: string | null | undefined): string | null {
  const declared = charsetFromContentType(contentType);
  if ((declared && isKnownEncoding(declared)) || bomEncoding(body)) return null;
  try {
    return FATAL_UTF8.decode(body);
  } catch {
    return null;
  }
}

/** The encoding `r.encoding` reports for this body; null when it cannot be told. */
export function detectEncoding(body: Uint8Array, contentType: string | null | undefined): string | null {
  const declared = charsetFromContentType(contentType);
  if (declared && isKnownEncoding(declared)) return declared;
  const bom = bomEncoding(body);
  if (bom) return bom;
  if (isUtf8(body)) return 'utf-8';
  return apparentEncoding(body);
}

/** A guess from the bytes alone, or null when the detector is not confident. */
export function apparentEncoding(body: Uint8Array): string | null {
  if (body.length === 0) return null;
  if (isUtf8(body)) return 'utf-8';
  const best = chardet().analyse(body)[0];
  if (!best || best.confidence < MIN_CONFIDENCE) return null;
  const label = best.name.toLowerCase();
  return isKnownEncoding(label) ? label : null;
}

export function bomEncoding(b: Uint8Array): string | null {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  return null;
}
