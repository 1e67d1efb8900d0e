/**
 * `npm run bench`: runs the HTTP and channel suites, prints their markdown tables with the
 * machine line, and writes them to bench/results/latest.md (a partial or quick run to partial.md).
 *
 *   node dist/bench/run.js [--http] [--sequential] [--h2] [--h3] [--channel] [--dns] [--cold-start] [--extensions] [--load] [--processor] [--apps] [--quick] [--node-server]
 *
 * `--http` / `--sequential` / `--h2` / `--h3` / `--channel` / `--dns` / `--cold-start` / `--extensions` / `--load` / `--processor` / `--apps` run those suites only; `--quick` shortens every phase (a smoke run,
 * not a measurement); `--node-server` uses bench/server.ts even when nginx is installed.
 * BENCH_ROUNDS and BENCH_SECONDS override the HTTP suite's rounds and seconds a row.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runAppSuite } from './app-suite.js';
import { runChannelSuite } from './channel-suite.js';
import { runColdStartSuite } from './cold-start.js';
import { runDnsSuite } from './dns-suite.js';
import { runH2Suite } from './h2-suite.js';
import { runH3Suite } from './h3-suite.js';
import { runHttpSuite } from './http-suite.js';
import { runLoadSuite } from './load-suite.js';
import { runProcessorSuite } from './processor-suite.js';
import { runSequentialSuite } from './sequential.js';
import { runExtensionSuite } from './extension-suite.js';
import { machineLine } from './machine.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = ['--http', '--channel', '--h2', '--h3', '--sequential', '--dns', '--cold-start', '--extensions', '--load', '--processor', '--apps'].some((a) => args.has(a));
const log = (line: string): void => console.error(line);

async function main(): Promise<void> {
  const started = Date.now();
  const machine = machineLine();
  const sections = [`## nodequests benchmarks`, '', `Machine: ${machine}`, '', `Run: ${new Date().toISOString()}${quick ? ' (--quick: a smoke run, not a measurement)' : ''}`];
  log(`machine: ${machine}`);

  if (!only || args.has('--http')) {
    const http = await runHttpSuite({
      rounds: Number(process.env.BENCH_ROUNDS ?? (quick ? 2 : 5)),
      seconds: Number(process.env.BENCH_SECONDS ?? (quick ? 0.5 : 2)),
      warmupSeconds: quick ? 0.2 : 0.5,
      nodeServer: args.has('--node-server'),
      log,
    });
    sections.push('', http.markdown);
  }
  if (!only || args.has('--sequential')) {
    const sequential = await runSequentialSuite({ rounds: quick ? 2 : 5, seconds: quick ? 0.3 : 1, nodeServer: args.has('--node-server'), log });
    sections.push('', sequential.markdown);
  }
  if (!only || args.has('--h2')) {
    const h2 = await runH2Suite({ rounds: quick ? 2 : 5, requests: quick ? 2000 : 20000, nodeServer: args.has('--node-server'), log });
    sections.push('', h2.markdown);
  }
  if (!only || args.has('--h3')) {
    const h3 = await runH3Suite({ rounds: quick ? 1 : 3, requests: quick ? 500 : 5000, log });
    sections.push('', h3.markdown);
  }
  if (!only || args.has('--cold-start')) {
    const cold = await runColdStartSuite({ runs: quick ? 3 : 10, nodeServer: args.has('--node-server'), log });
    sections.push('', cold.markdown);
  }
  if (!only || args.has('--load')) {
    const load = await runLoadSuite({ rounds: quick ? 1 : 3, seconds: quick ? 1 : 5, connections: 64, nodeServer: args.has('--node-server'), log });
    sections.push('', load.markdown);
  }
  if (!only || args.has('--processor')) {
    const processor = await runProcessorSuite({ rounds: quick ? 1 : 3, seconds: quick ? 1.5 : 5, log });
    sections.push('', processor.markdown);
  }
  if (!only || args.has('--apps')) {
    const apps = await runAppSuite({ rounds: quick ? 2 : 5, seconds: quick ? 0.3 : 1, log });
    sections.push('', apps.markdown);
  }
  if (!only || args.has('--channel')) {
    const channel = await runChannelSuite(quick ? { timeMs: 300, warmupMs: 50, log } : { log });
    sections.push('', channel.markdown);
  }
  if (!only || args.has('--dns')) {
    const dns = await runDnsSuite({ rounds: quick ? 2 : 5, seconds: quick ? 0.3 : 1, log });
    sections.push('', dns.markdown);
  }
  if (!only || args.has('--extensions')) {
    const extensions = await runExtensionSuite({ rounds: quick ? 1 : 3, scale: quick ? 0.1 : 1, log });
    sections.push('', extensions.markdown);
  }
  sections.push('', `Total bench time: ${Math.round((Date.now() - started) / 1000)} s.`, '');
  const text = sections.join('\n');
  console.log(text);
  const dir = fileURLToPath(new URL('../../bench/results/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  // Only a full run replaces the committed tables; a partial or quick one goes beside them.
  const file = `${dir}${only || quick ? 'partial.md' : 'latest.md'}`;
  writeFileSync(file, text);
  log(`written to ${file}`);
}

main().then(
  // Sessions and the consumer worker are closed by now; exit without waiting for idle sockets.
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
