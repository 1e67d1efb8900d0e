/**
 * What `Session({ app })` calls in place of a server, and how a value is told apart: an
 * object with a `fetch(request)` method is a fetch handler (Hono, itty-router, a module's
 * `{ fetch }` export); a function is a Node request listener `(req, res)` (Express, Koa's
 * `app.callback()`, Connect); an `http.Server` stands for its `request` listeners.
 *
 * A bare fetch handler `(request) => Response` and a Node listener `(req, res)` are both
 * functions and cannot be told apart (a listener may well be declared with one parameter),
 * so a function is always a listener and a fetch handler is passed as `{ fetch: handler }`.
 *
 * Shared by the main thread (function and object apps) and the transport workers (module
 * apps), so it depends on neither.
 */
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import type { ConnectionInfo } from '../channel/connection-info.js';

/** A Node request listener, as `http.createServer` takes. */
export type NodeListener = (req: IncomingMessage, res: ServerResponse) => unknown;

/** An app in the style of Hono, Bun and Cloudflare workers. */
export interface FetchApp {
  fetch(request: Request): Response | Promise<Response>;
}

/**
 * An app called in process: see the module comment. `server`: the http.Server a listener
 * came from, whose 'upgrade' listeners take WebSockets (see app-socket.ts); null for a bare
 * listener.
 */
export type LoadedApp = { kind: 'listener'; listener: NodeListener; server: Server | null } | { kind: 'fetch'; app: FetchApp };

/** What the `app` option names: an app to call where the session is, or a module the workers load. */
export type AppSpec = LoadedApp | { kind: 'module'; specifier: string };

/** The app `value` names, or why it names none (for the error the caller raises). */
export function appOf(value: unknown): AppSpec | string {
  if (typeof value !== 'string') return loadedAppOf(value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "is not a module URL; expected one such as pathToFileURL('app.js').href + '#app' (import.meta.resolve works too)";
  }
  if (url.protocol !== 'file:' && url.protocol !== 'data:') return "is not a file: (or data:) module URL such as pathToFileURL('app.js').href + '#app'";
  return { kind: 'module', specifier: value };
}

/** The app a loaded value is, or why it is none. */
export function loadedAppOf(value: unknown): LoadedApp | string {
  if (value instanceof Server) {
    const listeners = value.listeners('request') as NodeListener[];
    if (listeners.length === 0) return 'is an http.Server with no request listener';
    return { kind: 'listener', listener: listeners.length === 1 ? listeners[0]! : (req, res) => listeners.forEach((l) => l.call(value, req, res)), server: value };
  }
  if (typeof value === 'function') return { kind: 'listener', listener: value as NodeListener, server: null };
  if (typeof value === 'object' && value !== null && typeof (value as FetchApp).fetch === 'function') {
    const app = value as FetchApp;
    return { kind: 'fetch', app };
  }
  return "is neither a function (a Node request listener) nor an object with a fetch(request) method. Pass a Node listener (req, res) such as an Express app or Koa's app.callback(), an http.Server, an object with fetch(request) such as a Hono app, or a module URL";
}

/** `file:///…/app.js#name` → the module and the export (`default` when none is named). */
export function splitSpecifier(specifier: string): { module: string; name: string } {
  const hash = specifier.lastIndexOf('#');
  if (hash === -1) return { module: specifier, name: 'default' };
  return { module: specifier.slice(0, hash), name: specifier.slice(hash + 1) || 'default' };
}

/** Loads a module app: the module is imported once per thread. */
export async function loadApp(specifier: string): Promise<LoadedApp> {
  const { module, name } = splitSpecifier(specifier);
  const ns = (await import(module)) as Record<string, unknown>;
  if (!(name in ns)) throw new Error(`The module ${module} has no export named ${JSON.stringify(name)} (it exports: ${Object.keys(ns).join(', ') || 'nothing'})`);
  const app = loadedAppOf(ns[name]);
  if (typeof app === 'string') throw new Error(`The export ${JSON.stringify(name)} of ${module} ${app}`);
  return app;
}

/** `r.connInfo` of a response from an app: no address, no TLS, no connection phases. */
export function appConnection(app: string): string {
  const info: ConnectionInfo = {
    tlsVersion: null,
    cipher: null,
    peerCertificate: null,
    destinationAddress: null,
    destinationPort: null,
    httpVersion: 'HTTP/1.1',
    established: Date.now(),
    timings: { resolution: null, connection: null, tlsHandshake: null },
    resolver: null,
    app,
  };
  return JSON.stringify(info);
}

