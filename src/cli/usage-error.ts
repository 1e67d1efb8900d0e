/** A command line the CLI cannot take: printed with a pointer to `--help`, exit status 1. */
export class UsageError extends Error {}
