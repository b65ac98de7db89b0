"""Planning: demand history, forecasts and safety stock computed from the ledger's own history.

Pure computations in the domain's style (no database, no HTTP, no clock: days and data are
passed in); services/planning.py reads the history through the unit of work and writes what
planning decides back through the one ledger writer.
"""
