/**
 * What the main thread and a transport worker agree on for `nodequests load`: the plan one
 * worker runs (its share of the connections, requests and rate) and the report it sends back
 * every interval. The plan travels as a one-shot task of the worker pool with a MessagePort for the reports:
 * load generation is async only, so a message is fine here (rule 1 is about sync calls).
 */
import type { MessagePort } from 'node:worker_threads';
import type { TransportSessionConfig } from './session-config.js';

export interface LoadPlan {
  url: string;
  method: string;
  /** Flat [name, value, …]. */
  headers: string[];
  body: Uint8Array | null;
  /** The pools' settings (TLS, protocols, resolver), as a session would open them. */
  config: TransportSessionConfig;
  /** Connections this worker keeps busy. */
  connections: number;
  /** Requests this worker sends in all; Infinity: until the duration is over. */
  requests: number;
  /** How long this worker sends for, ms; Infinity: until its requests are sent. */
  durationMs: number;
  /**
   * Requests per second this worker sends on a fixed timetable (open model); 0: each
   * connection sends its next request as soon as the last one is answered (closed model).
   */
  rate: number;
  /** A request unanswered after this long fails with a timeout, ms; 0: none. */
  timeoutMs: number;
  /** How often a report is sent, ms. */
  intervalMs: number;
}

/** What happened in one interval of one worker. */
export interface LoadReport {
  /** The latencies of the interval, microseconds, as an HDR histogram (compressed base64). */
  histogram: string;
  requests: number;
  /** Response body bytes received. */
  bytes: number;
  /** Responses by status. */
  statuses: Record<string, number>;
  /** Failed requests by error code (NQ_ERR_…). */
  errors: Record<string, number>;
  /** Since the worker started its run, ms. */
  elapsedMs: number;
}

/** The task that carries a plan to a worker: see workers/transport.ts. */
export interface LoadTask {
  op: 'load';
  plan: LoadPlan;
  /** Reports go out on it; a 'stop' message on it ends the run early. */
  port: MessagePort;
}

/** Latencies are recorded in microseconds, up to an hour, with 3 significant digits. */
export const LOAD_HISTOGRAM = { lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 as const } as const;
