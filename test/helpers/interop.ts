/**
 * Whether a peer's interop tests run. Off CI a missing peer skips them, saying why; on CI
 * (CI=true) the peers are installed by scripts/interop/install.sh, so a missing one fails
 * the file instead of letting its tests vanish from a green run.
 */
export function skipWithout(peer: string, missing: string | null): boolean {
  if (missing === null) return false;
  if (onCi()) throw new Error(`interop: ${peer} is required on CI (CI=${process.env.CI}) but ${missing}; scripts/interop/install.sh installs it`);
  console.log(`interop: skipping the ${peer} tests (not on CI): ${missing}`);
  return true;
}

function onCi(): boolean {
  const ci = (process.env.CI ?? '').toLowerCase();
  return ci !== '' && ci !== '0' && ci !== 'false';
}
