/**
 * What a worker tells the main thread about a connection it made (a CONNECTION frame, as
 * JSON), and what `r.connInfo` is built from.
 */
/** What `r.connInfo` tells about the connection a response came on. JSON-safe. */
export interface ConnectionInfo {
  /** 'TLSv1.3' and the like; null over cleartext. */
  tlsVersion: string | null;
  cipher: { name: string; standardName: string; version: string } | null;
  peerCertificate: {
    /** The leaf certificate, DER, base64. */
    der: string;
    subject: Record<string, string>;
    issuer: Record<string, string>;
    subjectAltName: string | null;
    validFrom: string;
    validTo: string;
    serialNumber: string;
    fingerprint256: string;
  } | null;
  destinationAddress: string | null;
  destinationPort: number | null;
  /** 'HTTP/1.1', 'HTTP/2' or 'HTTP/3'. */
  httpVersion: string;
  /** The resolver that named the address (`system://`, `doh://…`), null when no name was resolved here. */
  resolver: string | null;
  /** When the connection was made, ms since the epoch; phases in ms. */
  established: number;
  timings: { resolution: number | null; connection: number | null; tlsHandshake: number | null };
  /**
   * Set when an app answered in process (`Session({ app })`), with no connection at all:
   * `'listener'`, `'fetch'`, or the module specifier the workers loaded.
   */
  app?: string;
  /** Over HTTP/3: the QUIC version and the transport parameters the server sent. */
  quic?: {
    version: string;
    alpn: string;
    peerInitialMaxStreamsBidi: number;
    peerInitialMaxData: number;
    peerInitialMaxStreamDataBidiRemote: number;
    peerMaxIdleTimeout: number;
    peerMaxUdpPayloadSize: number;
  };
}
