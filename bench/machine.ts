/**
 * One line describing the machine a benchmark ran on: CPU model, cores, RAM, OS, Node.
 */
import { readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';

export function machineLine(): string {
  const cpus = os.cpus();
  const model = (cpus[0]?.model ?? 'unknown CPU').replace(/\s+/g, ' ').trim();
  const ramGiB = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${model}, ${os.availableParallelism()} cores, ${ramGiB} GiB RAM, ${osName()}, Node ${process.version}`;
}

function osName(): string {
  try {
    const release = readFileSync('/etc/os-release', 'utf8');
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?/m.exec(release)?.[1];
    if (pretty) return `${pretty} (${os.type()} ${os.release()} ${os.arch()})`;
  } catch {
    // not Linux, or no os-release
  }
  return `${os.type()} ${os.release()} ${os.arch()}`;
}

const TICK_MS = 10; // USER_HZ is 100 on Linux

/**
 * CPU time (user + system, ms) of a process and its children, read from /proc; NaN where
 * /proc is not there. For the benchmark's server: nginx's master and its worker.
 */
export function processTreeCpuMs(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    let total = 0;
    const pids = [pid];
    for (let i = 0; i < pids.length; i++) {
      const stat = readFileSync(`/proc/${pids[i]}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      total += (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      for (const tid of readdirSync(`/proc/${pids[i]}/task`)) {
        const children = readFileSync(`/proc/${pids[i]}/task/${tid}/children`, 'utf8').trim();
        if (children) pids.push(...children.split(' ').map(Number));
      }
    }
    return total;
  } catch {
    return NaN;
  }
}

/** This process's CPU time, all threads, in ms. */
export function processCpuMs(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
}

/** On-CPU time (ms) of one of this process's threads by its Linux thread id (schedstat), or NaN. */
export function threadCpuMs(tid: number): number {
  try {
    return Number(readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return NaN;
  }
}
