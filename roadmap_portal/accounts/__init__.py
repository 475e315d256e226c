"""People's accounts: invitations and their acceptance, registration confirmed by e-mail,
the profile page, password reset and the language kept per person (``services``,
``forms``, ``views``, ``urls``). It stands on the core's profiles and scope."""
