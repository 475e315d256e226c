"""The transactional outbox: work that must leave the database is written as a row in the
transaction of the change that causes it and handed to Celery once that transaction
commits (``services``: ``publish``, ``relay``, ``OutboxTask``, the queues; ``tasks``: the
sweep beat runs)."""
