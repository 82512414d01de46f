"""Reads of the evaluations app, by area (packs, cycle, ratings/calibration/reports); every
selector starts from the actor's visible scope (core/access.py)."""
