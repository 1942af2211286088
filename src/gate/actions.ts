import type { GateConfig } from './config.ts';
import type { Criterion } from './types.ts';

// One sentence per failing or open criterion: what the on-call engineer does next. The figure is in the
// criterion's note; this is the verb. Kept apart from the checks so wording changes do not touch maths.

export function actionFor(c: Criterion, cfg: GateConfig): string | null {
  if (c.result !== 'fail' && c.result !== 'inconclusive') return null;
  if (c.kind === 'coverage' && c.note.includes('candidate better on labels')) {
    return 'the disagreement looks like the candidate being right: check shadow.disagreements against the labels, then promote with gate.labels.overrideAgreement: true';
  }
  if (c.result === 'inconclusive') return c.id === 'primary_reproduction' ? 'keep shadowing, and check the mirror if the reproduction rate stays low' : inconclusive(c);
  switch (c.id) {
    case 'unmatched_rate':
      return 'check that both topics carry the same request ids and that join.windowMs covers how late primary outputs arrive; the gate cannot judge until the join works';
    case 'schema_mismatch_rate':
      return 'set candidate.featureSchemaVersion to the schema the requests carry, or wait until the feature pipeline sends it';
    case 'min_comparisons':
      return `keep shadowing until the window holds ${cfg.evidence.minComparisons} comparisons`;
    case 'window_coverage':
      return c.scope === 'window start'
        ? 'keep shadowing until the candidate has a full window of data, or gate a shorter --window'
        : 'check that the processor is running and consuming (`shadow-compare status`, its /metrics)';
    case 'sub_window_coverage':
      return 'keep shadowing; if this traffic level is normal for that period, lower gate.evidence.minPerSubWindow';
    case 'agreement':
      return 'read shadow.disagreements to see which model is right before deciding; agreement says "different", not "worse": do not promote on it alone';
    case 'segment_agreement':
      return `read shadow.disagreements for ${c.scope.replace(/^segment /, '')}: a difference confined to this segment; do not promote until it is explained`;
    case 'primary_reproduction':
      return 'check the mirror and feature pipeline: the mirrored features, the artifact (primary.path or the registry\'s production version) or a nondeterministic primary differ from what production served';
    case 'excess_disagreement':
      return 'the candidate disagrees with production beyond production\'s own noise: read shadow.disagreements to see which model is right; do not promote on this evidence';
    case 'segment_excess_disagreement':
      return `candidate regression in ${c.scope.replace(/^segment /, '')} beyond the noise floor; do not promote`;
    case 'segment_evidence':
      return 'keep shadowing until these segment values have enough comparisons, or set gate.segments.insufficient: report';
    case 'candidate_error_rate':
    case 'error_rate_vs_primary':
      return 'group shadow.outcomes by candidate_error_code: fix the missing features or runtime errors before promoting';
    case 'latency_p99':
    case 'latency_p99_vs_primary':
      return 'the model itself is too slow (processor queueing is not counted): make it cheaper or serve it on faster hardware, or raise gate.latency if the budget changed';
    case 'labels':
      return 'the candidate is less accurate than production on ground truth: do not promote';
    case 'segment_labels':
      return `candidate regression in ${c.scope.replace(/^segment /, '')} on ground truth; do not promote`;
    case 'cost_per_inference':
    case 'cost_vs_primary':
      return 'check candidate.pricing; if it is right, the candidate costs too much per inference to promote';
    default:
      return 'see the criterion above; do not promote until it passes';
  }
}

function inconclusive(c: Criterion): string {
  if (c.id === 'labels') return 'keep collecting labels: McNemar\'s test needs more discordant pairs to decide';
  return c.id.startsWith('segment')
    ? 'keep shadowing: this segment needs more comparisons before it can be judged'
    : 'keep shadowing: more comparisons will narrow the bound until it decides';
}

/** `scope: note → action`, the form of every HOLD/REJECT reason. */
export function reasonOf(c: Criterion): string {
  return c.action ? `${c.scope}: ${c.note} → ${c.action}` : `${c.scope}: ${c.note}`;
}
