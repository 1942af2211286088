// Compare: one candidate answer against one primary answer, per task type (binary threshold,
// multiclass argmax / top-k, regression tolerance). Pure; keeps the score delta beside the yes/no.
export { compare, argmax, type Comparison } from './compare.ts';
