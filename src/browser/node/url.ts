/** node:url's `domainToASCII` in the browser build, by the WHATWG URL parser ('' when invalid, as Node). */
export function domainToASCII(domain: string): string {
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return '';
  }
}
