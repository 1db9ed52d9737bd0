"""The gateway: the only public entry — server-rendered pages with htmx, sign-in, open data."""
