"""The gateway's pages, one module per area: portal, registry, open data, sign-in, health."""
