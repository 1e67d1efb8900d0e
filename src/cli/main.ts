/**
 * The `nodequests` command: `nodequests [METHOD] URL [ITEM...]` makes one request; the words
 * in COMMANDS name the others.
 *
 * @example
 * ```sh
 * nodequests httpbin.test/get q==1
 * nodequests POST :8080/users name=ann age:=30 -v
 * nodequests crawl --demo
 * nodequests load http://127.0.0.1:8080/ -c 64 -d 10
 * ```
 */
import { crawlCommand, CRAWL_USAGE } from './crawl-command.js';
import { doctorCommand } from './doctor-command.js';
import { helpText } from './help-command.js';
import { loadCommand, LOAD_USAGE } from './load-command.js';
import { requestCommand } from './request-command.js';
import { UsageError } from './usage-error.js';
import { exitCodeOf } from './exit-codes.js';
import { VERSION } from '../version.js';

interface Command {
  usage: string;
  run(argv: readonly string[]): number | Promise<number>;
}

const COMMANDS = new Map<string, Command>([
  ['help', { usage: 'nodequests help [--json]           this help; --json: the doctor report', run: (argv) => (argv.includes('--json') ? doctorCommand() : help()) }],
  ['version', { usage: 'nodequests version                 the version (also --version)', run: version }],
  ['doctor', { usage: 'nodequests doctor                  what this install supports, as JSON', run: doctorCommand }],
  ['crawl', { usage: CRAWL_USAGE, run: crawlCommand }],
  ['load', { usage: LOAD_USAGE, run: loadCommand }],
]);

function help(): number {
  process.stdout.write(helpText(COMMANDS));
  return 0;
}

function version(): number {
  process.stdout.write(`${VERSION}\n`);
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  if (first === undefined) throw new UsageError('no URL given');
  if (first === '--help' || first === '-h') return help();
  if (first === '--version') return version();
  const command = COMMANDS.get(first);
  return command ? command.run(rest) : requestCommand(argv);
}

// A reader that went away (`| head`) ends the command quietly, as it does curl.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

/**
 * Exits once what was written has gone out: nothing the command started is still needed, and
 * an idle process would otherwise wait for V8's background work (the optimising compile of
 * llhttp that undici's first response sets off in the worker takes tens of milliseconds).
 */
function exit(code: number): void {
  process.exitCode = code;
  process.stdout.write('', () => process.stderr.write('', () => process.exit(code)));
}

main(process.argv.slice(2)).then(exit, (err: Error) => {
  if (err instanceof UsageError) process.stderr.write(`nodequests: ${err.message}\n(nodequests --help shows the usage)\n`);
  else process.stderr.write(`nodequests: ${err.name}: ${err.message}\n`);
  exit(exitCodeOf(err));
});
