"""Sign-in: OIDC against Keycloak, or a development form; sign-out; the sign-in guard."""
