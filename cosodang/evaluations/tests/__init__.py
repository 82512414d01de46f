"""Tests for cosodang.evaluations."""
