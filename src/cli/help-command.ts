/** `nodequests --help` / `nodequests help`: the request command's help, then each command's usage. */
import { REQUEST_HELP } from './request-command.js';

export function helpText(commands: Iterable<[string, { usage: string }]>): string {
  let text = `usage: ${REQUEST_HELP}\n\ncommands:\n`;
  for (const [, command] of commands) text += `  ${command.usage.split('\n').join('\n  ')}\n`;
  return text;
}
