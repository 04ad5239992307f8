"""Fault catalogue: one module per fault, each with a lab and an aws implementation."""
