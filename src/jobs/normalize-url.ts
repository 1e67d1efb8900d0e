/**
 * The crawler's URL normalisation, so one page is fetched once whatever way it was linked:
 * WHATWG parsing (lower-case scheme and host, default port dropped, dot segments resolved,
 * an empty path made `/`), then the fragment dropped, percent-escapes of unreserved
 * characters decoded (`%7E` → `~`) and the others in upper case (`%2f` → `%2F`), and an
 * empty query (`?`) dropped. Query order is kept: servers may mean something by it.
 *
 * @example
 * ```ts
 * normalizeUrl('HTTP://Example.COM:80/a/../%7euser?#top'); // 'http://example.com/~user'
 * ```
 */
export function normalizeUrl(href: string, base?: string): string | null {
  let url: URL;
  try {
    url = new URL(href, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  url.pathname = normalizeEscapes(url.pathname);
  // An empty query reads as '' but still prints its '?': setting '' drops it.
  url.search = url.search ? normalizeEscapes(url.search) : '';
  return url.href;
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;

function normalizeEscapes(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}
