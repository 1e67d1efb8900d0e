/**
 * Turning body bytes into text: which encoding, and the decoding itself.
 */

/** The charset named by a Content-Type, else UTF-8. */
export function encodingOf(contentType: string | undefined | null): string | null {
  const m = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return m ? m[1]!.toLowerCase() : 'utf-8';
}

/** Decodes with `encoding` (any label TextDecoder knows); null when there is no encoding. */
export function decodeBody(bytes: Uint8Array, encoding: string | null): string | null {
  if (encoding === null) return null;
  return new TextDecoder(encoding).decode(bytes);
}
