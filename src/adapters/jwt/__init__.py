"""JSON Web Tokens: verifying and issuing them with PyJWT, HS256 only."""
