"""Flax linen modules only; no training logic lives here."""
