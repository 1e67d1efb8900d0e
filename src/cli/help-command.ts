/**
 * `nodequests --help` / `nodequests help`: the request command's help, what it does with a
 * WebSocket or event stream URL, then each command's usage.
 */
import { EXTENSION_HELP } from './extension-output.js';
import { REQUEST_HELP } from './request-command.js';

export function helpText(commands: Iterable<[string, { usage: string }]>): string {
  let text = `usage: ${REQUEST_HELP}\n\n${EXTENSION_HELP}\n\ncommands:\n`;
  for (const [, command] of commands) text += `  ${command.usage.split('\n').join('\n  ')}\n`;
  return text;
}
