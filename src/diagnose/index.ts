// diagnose (issue 15): input = profiles (profile_1m), counts (stats_1m) and labels of a window and a
// reference period; output = per segment value, the story that explains what moved and the action.
// Every test of a run is corrected together, so a stable run flags nothing at the stated rate.
export { runDiagnose } from './run.ts';
export { formatDiagnosis } from './format.ts';
export { classifyAll, ACTIONS } from './classify.ts';
export type { DiagnoseTarget, Period } from './fetch.ts';
export * from './types.ts';
