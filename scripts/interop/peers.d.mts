/** Types for peers.mjs: loopback nginx and httpbin for the interop tests. */
export interface FileInfo {
  path: string;
  size: number;
  sha256: string;
}
export interface Peer {
  url: string;
  port: number;
  stop(): Promise<void>;
}
export interface NginxPeer extends Peer {
  files: { small: FileInfo; big: FileInfo; text: FileInfo & { gz: FileInfo }; dynamic: FileInfo };
}
export interface UnboundPeer extends Peer {
  /** Where it answers: UDP and TCP, DNS over TLS, DNS over HTTPS (HTTP/2). */
  ports: { udp: number; tls: number; https: number };
  /** Hex SHA-256 of its self-signed certificate (DER), for a `verify=sha256_…` pin. */
  sha256: string;
}
export interface CaddyPeer extends Peer {
  files: { small: FileInfo; big: FileInfo; text: FileInfo };
  /** Hex SHA-256 of its self-signed certificate (DER), for a `verify: 'sha256_…'` pin. */
  sha256: string;
}
export type PeerName = 'nginx' | 'httpbin' | 'unbound' | 'websocketd' | 'pywebsockets' | 'aiohttp' | 'caddy';
export interface Peers {
  nginx?: NginxPeer;
  httpbin?: Peer;
  unbound?: UnboundPeer;
  websocketd?: Peer;
  pywebsockets?: Peer;
  aiohttp?: Peer;
  caddy?: CaddyPeer;
  /** Peers that are not installed, with the reason. */
  missing: Partial<Record<PeerName, string>>;
}
/** `null` for a peer that can start here, else why not. */
export function checkPeers(): Record<PeerName, string | null>;
export function startPeers(options?: { only?: PeerName[] }): Promise<Peers>;
export function startNginx(): Promise<NginxPeer>;
export function startHttpbin(): Promise<Peer>;
/** `zone`: names of interop.test to IPv4 addresses (default www.interop.test at 127.0.0.1). */
export function startUnbound(options?: { zone?: Record<string, string> }): Promise<UnboundPeer>;
export function startWebsocketd(): Promise<Peer>;
export function startPyWebsockets(): Promise<Peer>;
export function startAiohttp(): Promise<Peer>;
/** `bigSize`: bytes of `files.big` (16 MiB by default). */
export function startCaddy(options?: { bigSize?: number }): Promise<CaddyPeer>;
export function freePort(): Promise<number>;
