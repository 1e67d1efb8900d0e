/**
 * The suite's own environment: the machine's proxies, CA bundles, resolver, `~/.netrc` and
 * home directory would otherwise change what many tests do. A test that needs one of these
 * sets it itself (and puts it back). Used twice: as vitest's global setup (its own process:
 * makes one empty home directory for the run, removed at the end) and as a setup file (in
 * each fork, before its test file: clears the variables and points HOME and NETRC there).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HOME = 'NODEQUESTS_TEST_HOME';
const CLEARED = /^(https?_proxy|all_proxy|no_proxy|requests_ca_bundle|curl_ca_bundle|node_extra_ca_certs|ssl_cert_file|ssl_cert_dir|nodequests_dns_url|request_method|netrc)$/i;

// In a fork (the global setup has run): apply.
const home = process.env[HOME];
if (process.send !== undefined && home) {
  for (const name of Object.keys(process.env)) if (CLEARED.test(name)) delete process.env[name];
  process.env.HOME = home;
  process.env.USERPROFILE = home;
  process.env.NETRC = join(home, 'empty-netrc');
}

export default function setup(): (() => void) | void {
  if (process.env[HOME]) return; // one global setup per vitest project
  const dir = mkdtempSync(join(tmpdir(), 'nodequests-test-home-'));
  writeFileSync(join(dir, 'empty-netrc'), '');
  process.env[HOME] = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
