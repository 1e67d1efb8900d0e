/**
 * One line describing the machine a benchmark ran on: CPU model, cores, RAM, OS, Node.
 */
import { readFileSync } from 'node:fs';
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
