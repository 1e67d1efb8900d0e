/**
 * How the request command shows a response: heads (raw as curl's `-i`, or coloured as
 * HTTPie's) and bodies (pretty-printed JSON, or raw bytes). Colour comes from Node's
 * `util.styleText`, and only when asked: the command decides once, from the terminal and
 * `--pretty`, whether to format and whether to colour.
 */
import { styleText } from 'node:util';

/** HTTPie's `--pretty`: all = format + colours, format, colors, none. */
export interface Style {
  format: boolean;
  colors: boolean;
}

type StyleName = Parameters<typeof styleText>[0];

// Newer Nodes drop the colours when stdout is not a terminal unless told not to check:
// `--pretty=all` asks for them anyway. Node 20 takes no options and never checks.
const colour = styleText as (format: StyleName, text: string, options?: { validateStream: boolean }) => string;
const paintAlways = (format: StyleName, text: string): string => colour(format, text, { validateStream: false });

function paint(style: Style, format: StyleName, text: string): string {
  return style.colors ? paintAlways(format, text) : text;
}

/** The status line and header fields; CRLF-terminated when unformatted, as on the wire. */
export function formatHead(
  style: Style,
  statusLine: { version: string; status: number; reason: string },
  fields: Iterable<[string, string]>,
): string {
  const eol = style.format ? '\n' : '\r\n';
  const statusColor: StyleName = statusLine.status >= 400 ? 'red' : statusLine.status >= 300 ? 'yellow' : 'green';
  let out = `${paint(style, 'blue', statusLine.version)} ${paint(style, statusColor, `${statusLine.status} ${statusLine.reason}`)}${eol}`;
  for (const [name, value] of fields) out += `${paint(style, 'cyan', name)}: ${value}${eol}`;
  return out + eol;
}

/** The request line and fields, as a server would read them (for `-v`). */
export function formatRequestHead(style: Style, method: string, url: string, fields: Iterable<[string, string]>): string {
  const u = new URL(url);
  let out = `${paint(style, 'green', method)} ${u.pathname}${u.search}\n${paint(style, 'cyan', 'Host')}: ${u.host}\n`;
  for (const [name, value] of fields) out += `${paint(style, 'cyan', name)}: ${value}\n`;
  return out + '\n';
}

/** JSON indented by two spaces, with keys, strings, numbers and literals coloured when asked. */
export function prettyJson(style: Style, value: unknown): string {
  const text = JSON.stringify(value, null, 2);
  if (!style.colors) return text;
  return text.replace(
    /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    (token, string: string | undefined, colon: string | undefined, literal: string | undefined) => {
      if (string !== undefined) return colon ? `${paintAlways('blue', string)}${colon}` : paintAlways('yellow', string);
      if (literal !== undefined) return paintAlways('magenta', literal);
      return paintAlways('cyan', token);
    },
  );
}

/** HTTPie's rule: a body with a NUL byte in its first KiB is binary, not for a terminal. */
export function looksBinary(chunk: Uint8Array): boolean {
  return chunk.subarray(0, 1024).includes(0);
}

export const BINARY_NOTE = `+-----------------------------------------+
| NOTE: binary data not shown in terminal |
|       (save it with -o FILE)            |
+-----------------------------------------+
`;

/** A JSON media type: application/json, text/json, application/problem+json and the like. */
export function isJsonType(contentType: string | undefined): boolean {
  return contentType !== undefined && /^[^;]*[/+]json\s*(;|$)/i.test(contentType);
}
