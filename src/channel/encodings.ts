/**
 * The content codings the transport workers undo: what the main thread advertises in the
 * default Accept-Encoding, and what the workers build decoders for (transport/decoder.ts).
 * zstd is decoded by Node's zlib where it has it (22.15+) and by fzstd before that.
 */
export function supportedEncodings(): string[] {
  return ['gzip', 'deflate', 'br', 'zstd'];
}
