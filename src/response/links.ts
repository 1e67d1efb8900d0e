/**
 * The Link header (RFC 8288) as Requests shows it: links by `rel` (or by URL when a link
 * has no rel), each with its `url` and parameters.
 *
 * @example
 * ```ts
 * r.links.next?.url;  // 'https://api.example.com/items?page=2'
 * ```
 */
export interface Link {
  url: string;
  rel?: string;
  [param: string]: string | undefined;
}

export function parseLinks(header: string | undefined, base: string): Record<string, Link> {
  const links: Record<string, Link> = {};
  if (!header) return links;
  // Split on commas that start a new `<...>` (URLs themselves may hold commas).
  for (const part of header.split(/,\s*(?=<)/)) {
    const m = /^\s*<([^>]*)>(.*)$/.exec(part);
    if (!m) continue;
    let url = m[1]!;
    try {
      url = new URL(url, base).href;
    } catch {
      // keep it as given
    }
    const link: Link = { url };
    for (const p of m[2]!.split(';')) {
      const at = p.indexOf('=');
      if (at === -1) continue;
      link[p.slice(0, at).trim().toLowerCase()] = p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    links[link.rel ?? url] = link;
  }
  return links;
}
