"""Writes of the evaluations app, by area: packs (stored rule packs), cycle (periods,
self-reviews, assessments, publication, objections, lock and reopen), ratings (proposals,
decisions with caps, collective ratings). Import from the module, e.g. `services.cycle`."""
