"""Trend models for death counts and rates (placeholder during development)."""
