/**
 * A TLS profile: what a worker needs to connect over TLS (trust, pin, client certificate),
 * worked out on the main thread from the `verify` and `cert` options and the environment,
 * and sent to the workers as JSON with the session's settings or with a request.
 */
/** What a worker needs to connect over TLS; JSON-safe. */
export interface TlsConfig {
  verify: boolean;
  /** PEM bundle (from `verify`) replacing Node's default CAs; null keeps the defaults. */
  ca: string | null;
  /**
   * Trust Node's bundled roots plus these CA files, in place of Node's default store: the
   * environment's bundles under trustEnv. Paths, read by the worker when it builds the TLS
   * context: a system bundle is hundreds of KB, too much to carry in every session's
   * settings and in every request that has TLS options of its own.
   */
  withRoots: boolean;
  caFiles: string[];
  /** Hex SHA-256 of the server's leaf certificate (DER), when pinned. */
  pin: string | null;
  cert: string | null;
  key: string | null;
  passphrase: string | null;
}
