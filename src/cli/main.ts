#!/usr/bin/env node
/**
 * The `nodequests` command.
 *
 * @example
 * ```sh
 * nodequests get http://127.0.0.1:8080/ -i
 * nodequests help
 * nodequests crawl --demo
 * ```
 */
import { crawlCommand, CRAWL_USAGE } from './crawl-command.js';
import { helpReport } from './help-command.js';
import { loadCommand, LOAD_USAGE } from './load-command.js';
import { requestCommand, REQUEST_USAGE } from './request-command.js';
import { UsageError } from './args.js';

const USAGE = `usage:
  ${REQUEST_USAGE}
  ${CRAWL_USAGE.split('\n').join('\n  ')}
  ${LOAD_USAGE.split('\n').join('\n  ')}
  nodequests help        what this install supports, as JSON`;

const VERBS = new Set(['get', 'head', 'post', 'put', 'patch', 'delete', 'options']);

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === 'help') {
    process.stdout.write(`${JSON.stringify(helpReport(), null, 2)}\n`);
    return 0;
  }
  if (command && VERBS.has(command)) return requestCommand(command.toUpperCase(), rest);
  if (command === 'crawl') return crawlCommand(rest);
  if (command === 'load') return loadCommand(rest);
  if (command === undefined || command === '--help' || command === '-h') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown command ${JSON.stringify(command)}`);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    if (err instanceof UsageError) process.stderr.write(`nodequests: ${err.message}\n${USAGE}\n`);
    else process.stderr.write(`nodequests: ${err.name}: ${err.message}\n`);
    process.exitCode = 2;
  },
);
