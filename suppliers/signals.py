"""What the suppliers app tells the layers above it inside its own transactions.

``supplier_registered`` (``sender=Supplier``, ``supplier``, ``user``): a person registered an
organisation and becomes its member. It is sent in the registering transaction, before it
commits, so a receiver's writes are saved with the supplier or not at all. The accounts app
(``roadmap_portal.accounts``) receives it and gives the person the supplier member's profile.

Events that may run after the commit (notifications, webhooks) go through the outbox
instead (``roadmap_portal.events``).
"""

from django.dispatch import Signal

supplier_registered = Signal()
