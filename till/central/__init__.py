"""The central ledger: every till's journal uploaded to one PostgreSQL, read by the service desk
and head office. Nothing here is on a sale's path; the local journal stays the source of truth.
"""
