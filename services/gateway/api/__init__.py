"""The public JSON API (`/api/v1/...`) for other government systems: API keys with scopes, problem+json errors."""
