"""Offline training pipeline (not deployed): HouseTS CSV → artifacts + manifest."""
