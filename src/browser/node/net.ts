/** node:net's `isIP` in the browser build: 4, 6 or 0, as Node answers. */
const V4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIP(s: string): number {
  if (V4.test(s)) return 4;
  if (!s.includes(':') || /[^0-9a-fA-F:.%]/.test(s.split('%')[0]!)) return 0;
  try {
    new URL(`http://[${s}]/`);
    return 6;
  } catch {
    return 0;
  }
}
