-- When the decision reached the store, by the writer's clock: the processor's for decisions sent over
-- POST /gate-decisions (which also sets source = 'http'), the engine's for decisions the gate wrote itself.
-- decided_at stays the gate's own time; a gap between the two is worth a look in a review.
ALTER TABLE ${db}.gate_decisions ADD COLUMN IF NOT EXISTS recorded_at DateTime64(3, 'UTC') DEFAULT now64(3)
