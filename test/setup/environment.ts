/**
 * The suite's own environment, set before every test file: the machine's proxies, CA
 * bundles, resolver, `~/.netrc` and home directory would otherwise change what many tests
 * do. A test that needs one of these sets it itself (and puts it back).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLEARED = /^(https?_proxy|all_proxy|no_proxy|requests_ca_bundle|curl_ca_bundle|node_extra_ca_certs|ssl_cert_file|ssl_cert_dir|nodequests_dns_url|request_method|netrc)$/i;

for (const name of Object.keys(process.env)) if (CLEARED.test(name)) delete process.env[name];

const home = mkdtempSync(join(tmpdir(), 'nodequests-test-home-'));
writeFileSync(join(home, 'empty-netrc'), '');
process.env.HOME = home;
process.env.USERPROFILE = home;
process.env.NETRC = join(home, 'empty-netrc');
process.once('exit', () => rmSync(home, { recursive: true, force: true }));
