/**
 * Load-generator suite: `nodequests load` against autocannon and wrk on the same server
 * (nginx when installed, else bench/server.ts), 64 connections, each tool a process of its
 * own, the tools alternating per round. Reported per tool: the median req/s over the rounds,
 * its ratio to autocannon and to wrk, and the latency percentiles of the median round as the
 * tool reports them.
 *
 * wrk is Debian's `wrk`: when missing, it is installed here (apt-get, as root or with
 * passwordless sudo); when that cannot be done its row says why.
 */
import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startNginx } from './nginx.js';
import { startNodeServer, type BenchServer } from './server.js';

export interface LoadSuiteOptions {
  rounds: number;
  seconds: number;
  connections: number;
  nodeServer: boolean;
  log: (line: string) => void;
}

interface Measure {
  rps: number;
  p50: number;
  p90: number | null;
  p99: number;
  p999: number | null;
  max: number;
}

interface Tool {
  name: string;
  /** Why it cannot run, or null. */
  missing: string | null;
  run(url: string, seconds: number, connections: number): Promise<Measure>;
}

const CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
const AUTOCANNON = fileURLToPath(new URL('../../node_modules/autocannon/autocannon.js', import.meta.url));

function exec(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 || (code === 1 && out.trim() !== '') ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err.trim().slice(-400)}`))));
  });
}

const nodequests: Tool = {
  name: 'nodequests load',
  missing: null,
  async run(url, seconds, connections) {
    const r = JSON.parse(await exec(process.execPath, [CLI, 'load', url, '-c', String(connections), '-d', String(seconds), '--json'])) as {
      rps: number;
      latency: { p50: number; p90: number; p99: number; p999: number; max: number };
    };
    return { rps: r.rps, ...r.latency };
  },
};

const autocannon: Tool = {
  name: 'autocannon',
  missing: null,
  async run(url, seconds, connections) {
    const out = await exec(process.execPath, [AUTOCANNON, '-c', String(connections), '-d', String(seconds), '-j', url]);
    const r = JSON.parse(out.trim().split('\n').pop()!) as { requests: { average: number; total: number }; duration: number; latency: Record<string, number> };
    return { rps: r.requests.total / r.duration, p50: r.latency.p50!, p90: r.latency.p90 ?? null, p99: r.latency.p99!, p999: r.latency.p99_9 ?? null, max: r.latency.max! };
  },
};

/** wrk from PATH, installing Debian's package first when it is missing and that can be done. */
function wrkTool(log: (line: string) => void): Tool {
  const has = (): boolean => spawnSync('wrk', ['--version']).error === undefined;
  let missing: string | null = null;
  if (!has()) {
    const root = process.getuid?.() === 0;
    const sudo = !root && spawnSync('sudo', ['-n', 'true']).status === 0;
    if (spawnSync('apt-get', ['--version']).error !== undefined) missing = 'wrk is not installed and apt-get is not available';
    else if (!root && !sudo) missing = 'wrk is not installed (Debian package wrk) and installing it needs root';
    else {
      log('load: installing wrk (apt-get install wrk)');
      const apt = (...args: string[]) => spawnSync(sudo ? 'sudo' : 'apt-get', sudo ? ['-n', 'apt-get', ...args] : args, { stdio: 'ignore' });
      if (apt('install', '-y', '-q', 'wrk').status !== 0) apt('update', '-q');
      if (!has() && apt('install', '-y', '-q', 'wrk').status !== 0) missing = 'wrk is not installed and apt-get install wrk failed';
    }
  }
  return {
    name: 'wrk',
    missing,
    async run(url, seconds, connections) {
      const out = await exec('wrk', ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--latency', url]);
      const ms = (v: string): number => {
        const m = /([\d.]+)(us|ms|s)/.exec(v)!;
        return Number(m[1]) * (m[2] === 'us' ? 0.001 : m[2] === 's' ? 1000 : 1);
      };
      const pct = (p: string): number => ms(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)![1]!);
      const max = /^\s+Latency\s+\S+\s+\S+\s+(\S+)/m.exec(out)![1]!;
      return { rps: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)![1]), p50: pct('50'), p90: pct('90'), p99: pct('99'), p999: null, max: ms(max) };
    },
  };
}

export async function runLoadSuite(o: LoadSuiteOptions): Promise<{ markdown: string }> {
  const server: BenchServer = (!o.nodeServer && (await startNginx())) || (await startNodeServer());
  const tools = [nodequests, autocannon, wrkTool(o.log)];
  const samples = new Map<Tool, Measure[]>(tools.map((t) => [t, []]));
  const errors = new Map<Tool, string>();
  try {
    for (let round = 0; round < o.rounds; round++) {
      for (let i = 0; i < tools.length; i++) {
        const tool = tools[(round + i) % tools.length]!;
        if (tool.missing || errors.has(tool)) continue;
        try {
          const m = await tool.run(server.url, o.seconds, o.connections);
          samples.get(tool)!.push(m);
          o.log(`load round ${round + 1}: ${tool.name} ${Math.round(m.rps)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms`);
        } catch (err) {
          errors.set(tool, (err as Error).message);
        }
      }
    }
  } finally {
    await server.stop();
  }
  const median = (tool: Tool): Measure | null => {
    const s = [...samples.get(tool)!].sort((a, b) => a.rps - b.rps);
    return s.length ? s[Math.floor(s.length / 2)]! : null;
  };
  const ac = median(autocannon);
  const wrk = median(tools[2]!);
  const f = (v: number | null | undefined, digits = 2): string => (v === null || v === undefined ? '—' : v.toFixed(digits));
  const rows = tools.map((tool) => {
    const m = median(tool);
    if (!m) return `| ${tool.name} | ${tool.missing ?? errors.get(tool) ?? 'no run'} | | | | | | | |`;
    return `| ${tool.name} | ${Math.round(m.rps)} | ${ac ? f(m.rps / ac.rps) : '—'} | ${wrk ? f(m.rps / wrk.rps) : '—'} | ${f(m.p50)} | ${f(m.p90)} | ${f(m.p99)} | ${f(m.p999)} | ${f(m.max)} |`;
  });
  const markdown = [
    `### Load generators (${server.name}, ${o.connections} connections, ${o.seconds} s a run, median of ${o.rounds} rounds)`,
    '',
    '| tool | req/s | × autocannon | × wrk | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Each tool runs in its own process against the same server; latencies as each tool reports them (closed model: from the send).',
  ].join('\n');
  return { markdown };
}
