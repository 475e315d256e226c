"""Who is told what: the portal's notifications (``services``), the offer pipeline's
(``offers``, subscribed to the offer events), their e-mail and digest delivery
(``delivery``), the bell's pages and the API (``views``, ``api_views``). It reads the core and
the domain apps; none of them imports it."""
