/** What the crawler's link extractor (transport/extract-links.ts) returns for a page. */
export interface PageLinks {
  /** Absolute http(s) URLs in document order, each once (fragments kept; the crawler drops them). */
  links: string[];
  /** Bytes of the decoded body. */
  bytes: number;
}
