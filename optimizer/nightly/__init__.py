"""Nightly re-optimisation: roll a scenario's horizon forward after a plan has run."""
