/**
 * The crawler's processor: runs in a transport worker's processor thread on a page's decoded
 * body and returns its links, so the HTML never crosses to the main thread. An HTML
 * tokenizer (htmlparser2), not a regex: `<a href>`, `<area href>`, `<link rel=…>` for the
 * rels that name pages, and `<base href>` for resolving, as a browser does (the first base
 * with an href wins). Relative URLs are resolved here; normalising and deduplicating across
 * pages is the crawler's (src/jobs/normalize-url.ts). The crawler names this module by URL
 * (a processor), never imports it.
 *
 * @example
 * ```ts
 * const r = await s.get(url, { processor: 'file:///…/dist/src/transport/extract-links.js#pageLinks' });
 * const { links, bytes } = r.result as PageLinks;
 * ```
 */
import { Parser } from 'htmlparser2';
import type { PageLinks } from '../channel/page-links.js';

/** `<link rel>` values that name another page (not a stylesheet or an icon). */
const PAGE_RELS = new Set(['alternate', 'canonical', 'next', 'prev', 'previous']);

export function pageLinks(body: Uint8Array, response: { url: string; status: number; headers: Record<string, string> }): PageLinks {
  const result: PageLinks = { links: [], bytes: body.length };
  const type = response.headers['content-type'] ?? '';
  if (response.status < 200 || response.status >= 300 || !/html/i.test(type)) return result;
  let base = response.url;
  let baseSet = false;
  const hrefs: string[] = [];
  const parser = new Parser(
    {
      onopentag(name, attrs) {
        const href = attrs.href;
        if (href === undefined) return;
        if (name === 'base') {
          if (!baseSet) {
            baseSet = true;
            base = resolve(href, response.url) ?? base;
          }
        } else if (name === 'a' || name === 'area') {
          hrefs.push(href);
        } else if (name === 'link' && (attrs.rel ?? '').toLowerCase().split(/\s+/).some((rel) => PAGE_RELS.has(rel))) {
          hrefs.push(href);
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, lowerCaseAttributeNames: true },
  );
  parser.end(new TextDecoder().decode(body));
  const seen = new Set<string>();
  // Resolved once the whole page is read: a <base> applies to links before it too.
  for (const href of hrefs) {
    const url = resolve(href, base);
    if (url !== null && !seen.has(url)) {
      seen.add(url);
      result.links.push(url);
    }
  }
  return result;
}

function resolve(href: string, base: string): string | null {
  try {
    const url = new URL(href.trim(), base);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null; // not a URL: skipped, as a browser would
  }
}
