export function buildBrowser(options?: { outfile?: string; quiet?: boolean }): Promise<{ bytes: number; gzipped: number; metafile: unknown }>;
