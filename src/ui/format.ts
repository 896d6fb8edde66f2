// How amounts read in tables and lines: USD with as many decimals as small LLM costs need.

/** $12.34, $0.0123, $0.000060: small costs keep their significant digits instead of rounding to $0.0001. */
export function formatUsd(n: number): string {
  if (n === 0) return '$0.00';
  const abs = Math.abs(n);
  return `$${n.toFixed(abs >= 1 ? 2 : abs >= 0.01 ? 4 : 6)}`;
}
