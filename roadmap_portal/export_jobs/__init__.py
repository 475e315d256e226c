"""Exports of working lists too large to answer inline, built by a Celery worker.

A list's export above ``EXPORT_INLINE_MAX_ROWS`` rows becomes an ``ExportJob``: who asked,
which list, the list's query string, the format. The job is handed to the ``exports`` queue
through the outbox in the transaction that creates it; the worker claims it under a lease,
rebuilds the list's rows for its owner (the same ``ExportList`` the page or API uses, so the
scope is the owner's at the time of the build), writes the file to the default storage
(local disk or the S3 bucket) and records its progress. Only the owner downloads it.
"""
