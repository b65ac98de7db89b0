"""Events leave through the transactional outbox: server-sent events, webhooks and NATS."""
