/**
 * A session's lazy responses (`multiplexed: true`) not yet settled, each with the flow that
 * will fill it, in the order they were made: what `gather()` without arguments resolves.
 *
 * Kept in an {@link IdTable} under an id the response carries, rather than in a Map or a
 * WeakMap by response: one entry comes and goes per request, and either of those under that
 * churn kept every request's objects alive past the scavenges that should have freed them
 * (see channel/id-table.ts; measured with a WeakMap, ~4.8 MB promoted a scavenge).
 */
import { IdTable } from '../channel/id-table.js';
import type { BaseResponse } from '../response/base-response.js';
import type { FlowRunner } from './runner.js';

interface Entry {
  readonly response: BaseResponse;
  readonly runner: FlowRunner;
}

export class PendingFlows {
  readonly #entries = new IdTable<Entry>();
  #nextId = 1;

  add(response: BaseResponse, runner: FlowRunner): void {
    const id = this.#nextId++;
    response.pendingId = id;
    this.#entries.set(id, { response, runner });
  }

  /** The flow of a response still pending in this session, or undefined. */
  runnerOf(response: BaseResponse): FlowRunner | undefined {
    const entry = this.#entries.get(response.pendingId);
    return entry !== undefined && entry.response === response ? entry.runner : undefined;
  }

  delete(response: BaseResponse): void {
    if (this.runnerOf(response) !== undefined) this.#entries.delete(response.pendingId);
  }

  /** Every pending response, in the order they were made. */
  responses(): BaseResponse[] {
    return this.#entries.values().map((entry) => entry.response);
  }

  clear(): void {
    this.#entries.clear();
  }
}
