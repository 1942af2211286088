import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { ShadowError, errorMessage } from '../errors.ts';

// The bearer token for the processor's POST endpoints: from SHADOW_API_TOKEN, else from the file
// named by http.tokenFile. It is held in memory only and never logged or echoed.

export const TOKEN_ENV = 'SHADOW_API_TOKEN';
const MIN_TOKEN_CHARS = 16;

export function resolveApiToken(http: { tokenFile?: string }, env: Record<string, string | undefined>): string | null {
  const fromEnv = env[TOKEN_ENV]?.trim();
  if (fromEnv) return checked(fromEnv, `the environment variable ${TOKEN_ENV}`);
  if (!http.tokenFile) return null;
  let text: string;
  try {
    if (statSync(http.tokenFile).size > 4096) throw new Error('larger than 4 KiB');
    text = readFileSync(http.tokenFile, 'utf8').trim();
  } catch (err) {
    throw new ShadowError('SHADOW_CONFIG', `http.tokenFile: cannot read ${http.tokenFile} (${errorMessage(err)})`);
  }
  return checked(text, `http.tokenFile (${http.tokenFile})`);
}

function checked(token: string, from: string): string {
  if (token.length < MIN_TOKEN_CHARS || /\s/.test(token)) {
    throw new ShadowError('SHADOW_CONFIG', `the API token from ${from} must be at least ${MIN_TOKEN_CHARS} characters without spaces (e.g. \`openssl rand -hex 32\`)`);
  }
  return token;
}

/** Compares an Authorization header with the token in constant time (hashing first equalises lengths). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer ([^\s]+)$/.exec(header ?? '');
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const expected = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, expected) && m !== null;
}

/** 127.0.0.0/8, ::1 and localhost: hosts only this machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}
