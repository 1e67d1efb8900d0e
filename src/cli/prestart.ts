/**
 * Which command lines make a request at once, so that the executable starts their transport
 * worker before it loads the command: the worker's start (a thread, then the transport's
 * modules) then overlaps the main thread's loading instead of following it, and the request
 * command's session (one worker) finds that engine already starting (`Engine.acquire(1)`).
 * The other commands load their own way, and help or a version needs no worker.
 */
const OTHER_COMMANDS = new Set(['help', 'version', 'doctor', 'crawl', 'load', '--help', '-h', '--version']);

export function startsTransport(argv: readonly string[]): boolean {
  return argv.length > 0 && !OTHER_COMMANDS.has(argv[0]!);
}
