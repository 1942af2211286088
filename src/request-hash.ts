/**
 * A request id as a number in [0, 1) (FNV-1a over its UTF-16 code units): every per-request sample
 * (agreements kept in the disagreement table, profiled requests) uses it, so a replay or a restart
 * samples exactly the same requests and a rebuilt block is identical.
 */
export function unitHash(requestId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < requestId.length; i++) h = Math.imul(h ^ requestId.charCodeAt(i), 0x01000193);
  return (h >>> 0) / 0x100000000;
}
