/**
 * The processor suite's work on one document: parse the JSON and reduce it to a summary.
 * `summarizeBody` is the processor form (`bench/summarize.js#summarizeBody`), run in the
 * transport workers; `summarize` is what the main-thread clients do with a parsed document.
 */
export interface DocSummary {
  items: number;
  total: number;
  byCategory: Record<string, number>;
}

interface Doc {
  items: Array<{ category: string; value: number }>;
}

export function summarize(doc: Doc): DocSummary {
  const byCategory: Record<string, number> = {};
  let total = 0;
  for (const item of doc.items) {
    total += item.value;
    byCategory[item.category] = (byCategory[item.category] ?? 0) + 1;
  }
  return { items: doc.items.length, total, byCategory };
}

export function summarizeBody(body: Uint8Array): DocSummary {
  return summarize(JSON.parse(new TextDecoder().decode(body)) as Doc);
}
