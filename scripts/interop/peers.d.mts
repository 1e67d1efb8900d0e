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
export type PeerName = 'nginx' | 'httpbin' | 'websocketd' | 'pywebsockets' | 'aiohttp';
export interface Peers {
  nginx?: NginxPeer;
  httpbin?: Peer;
  websocketd?: Peer;
  pywebsockets?: Peer;
  aiohttp?: Peer;
  /** Peers that are not installed, with the reason. */
  missing: Partial<Record<PeerName, string>>;
}
/** `null` for a peer that can start here, else why not. */
export function checkPeers(): Record<PeerName, string | null>;
export function startPeers(options?: { only?: PeerName[] }): Promise<Peers>;
export function startNginx(): Promise<NginxPeer>;
export function startHttpbin(): Promise<Peer>;
export function startWebsocketd(): Promise<Peer>;
export function startPyWebsockets(): Promise<Peer>;
export function startAiohttp(): Promise<Peer>;
export function freePort(): Promise<number>;
