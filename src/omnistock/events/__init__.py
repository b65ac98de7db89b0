"""Events leave through the transactional outbox: server-sent events, webhooks and NATS.

Kept free of imports: `store/tables.py` imports `events.tables` to register its tables.
"""
