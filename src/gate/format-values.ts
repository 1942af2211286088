// How numbers read in reasons and tables. Stable: tests assert reasons verbatim.

export const rate = (x: number): string => x.toFixed(4);
export const ms = (x: number): string => `${x.toFixed(1)} ms`;
export const usd = (x: number): string => `$${x.toFixed(6)}`;
/** 0.0412 -> '4.1%' (shares of requests in noise-floor sentences). */
export const pct1 = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const pval = (x: number): string => (x < 0.001 ? x.toExponential(1) : x.toFixed(3));
/** 0.95 -> '95%' (0.975 -> '97.5%'). */
export const pct = (c: number): string => `${Number((c * 100).toFixed(2))}%`;
/** '2025-01-03 00:00Z' */
export const minuteUtc = (d: Date): string => `${d.toISOString().slice(0, 16).replace('T', ' ')}Z`;
