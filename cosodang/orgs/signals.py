"""Signals of the organisation tree."""

from django.dispatch import Signal

# Sent inside the transaction of a move or merge, after every copy of the subtree's path was
# rewritten: kwargs `old_prefix` and `new_prefix` (the moved organisation's old and new path).
# Apps that keep data derived from the tree above an organisation (the calibration summary of
# evaluations) bring it up to date here.
subtree_moved = Signal()
