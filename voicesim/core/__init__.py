"""The pure domain: labels, personas, the staircase engine, the scorer and scorecards.

Imports only the standard library, numpy and voicesim's own modules.
"""
