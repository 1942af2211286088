// Late ground-truth labels (issue 13). Input: label messages (labels topic or the `labels` stream of a
// replay file). Output: rows of shadow.labels, exactly once per message. Guarantee: nothing is joined in
// memory: the gate and the label_accuracy_daily view join labels to stored predictions in ClickHouse.
export { labelRow, type LabelRow, type LabelSourceRef } from './row.ts';
export { insertLabels } from './writer.ts';
export { ingestLabelFile, type LabelIngestResult } from './file.ts';
