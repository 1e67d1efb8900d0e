/**
 * What a transport worker and its processor thread say to each other (see
 * transport/processors.ts): one call at a time, the body transferred, not copied.
 */

/** What a processor is told about the response besides its body. */
export interface ProcessedResponse {
  url: string;
  status: number;
  /** Lower-case names; repeated fields joined with ", ". */
  headers: Record<string, string>;
}

export interface ProcessorCall {
  /**
   * `module#export` (without `#`: the default export); several, one a line, run in turn on
   * the same body and give an array of their results.
   */
  spec: string;
  body: Uint8Array;
  response: ProcessedResponse;
}

/** The result serialized with v8.serialize (what crosses to the main thread as it is), or why not. */
export type ProcessorReply = { ok: true; bytes: Uint8Array } | { ok: false; message: string };
