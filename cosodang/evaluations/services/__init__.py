"""Writes of the evaluations app, by area: packs (stored rule packs), cycle (periods,
self-reviews, assessments, publication, objections, lock and reopen), ratings (the cell's
proposal, collective ratings), decisions (the committee's decision with caps and quota,
overrides, bulk re-runs), calibration (the summary the calibration page reads), rating_inputs
(inputs and the reasons rebuilt on read) and rating_base (pieces they share). Import from the
module, e.g. `services.cycle`."""
